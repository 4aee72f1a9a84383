/**
 * The exporter inside the metrics sidecar: collects every `intervalMs`, renders the exposition once
 * per collection, and serves that text on /metrics (so a scrape costs a buffer write, whatever the
 * number of containers). Container names, images and labels come from the Docker API, listed once,
 * refreshed on container events and every minute as a safety net.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { watchContainerEvents } from '@dockside/engine/events';
import { liteContainerPid, liteInspect, liteListRunning, type ContainerBrief, type LiteClient } from '@dockside/engine/lite';
import { collect, createCollector, NoCgroupError, type CollectTarget, type CollectorState, type HostPaths } from '../collector.js';
import { renderExposition } from '../exposition.js';

export interface ExporterOptions {
  port: number;
  host: string;
  intervalMs: number;
  labelAllowList: string[];
  token?: string;
  paths: HostPaths;
  client: LiteClient;
  log: (msg: string) => void;
}

export interface Exporter {
  server: Server;
  close(): Promise<void>;
  /** Run one collection now (tests, first start). */
  collectNow(): void;
}

const RELIST_MS = 60_000;

export async function startExporter(opts: ExporterOptions): Promise<Exporter> {
  const state: CollectorState | null = createCollector(opts.paths, { hostPids: false });
  if (!state) throw new NoCgroupError(opts.paths.cgroupRoot);
  let containers: ContainerBrief[] = [];
  /** id -> host pid of its main process; the sidecar is not in the host PID namespace. */
  const pids = new Map<string, number>();
  let listedOk = false;
  let body = '';
  let lastCollection = 0;
  let collections = 0;
  let collectionErrors = 0;
  let listErrors = 0;
  let lastDurationMs = 0;
  let scrapes = 0;
  let relistTimer: NodeJS.Timeout | undefined;
  let stopEvents: (() => void) | undefined;
  let closed = false;

  const relist = async () => {
    try {
      const list = await liteListRunning(opts.client);
      const live = new Set(list.map((c) => c.id));
      for (const id of pids.keys()) if (!live.has(id)) pids.delete(id);
      // One inspect per new container (pids do not change while it runs; a restart is an event
      // that clears the entry). Bounded concurrency keeps a 1000-container host reasonable.
      const fresh = list.filter((c) => !pids.has(c.id));
      for (let i = 0; i < fresh.length; i += 16) {
        await Promise.all(
          fresh.slice(i, i + 16).map(async (c) => {
            const pid = await liteContainerPid(opts.client, c.id).catch(() => 0);
            if (pid > 0) pids.set(c.id, pid);
          }),
        );
      }
      containers = list;
      if (!listedOk) opts.log(`listing ${containers.length} running containers from the engine`);
      listedOk = true;
    } catch (err) {
      listErrors++;
      opts.log(`cannot list containers: ${(err as Error).message}`);
    }
  };
  /**
   * Events are applied one container at a time: die/destroy drop it from the list at once (its
   * series are gone from the next collection), start/rename/update/unpause re-inspect just that
   * container. No full relist and no extra collection per event, so a busy engine (CI hosts
   * start and stop containers all day) costs the exporter little.
   */
  const applyEvent = async (id: string, action: string) => {
    if (action === 'die' || action === 'destroy') {
      containers = containers.filter((c) => c.id !== id);
      pids.delete(id);
      return;
    }
    const got = await liteInspect(opts.client, id);
    const rest = containers.filter((c) => c.id !== id);
    if (!got) {
      containers = rest;
      pids.delete(id);
      return;
    }
    containers = [...rest, got.brief];
    if (got.pid > 0) pids.set(id, got.pid);
  };
  const watch = () => {
    if (closed) return;
    stopEvents = watchContainerEvents(opts.client, {
      filters: { type: ['container'], event: ['start', 'die', 'destroy', 'rename', 'update', 'pause', 'unpause'] },
      onEvent: (e) => {
        const id = e.Actor?.ID ?? e.id;
        if (id) void applyEvent(id, e.Action);
      },
      onReconnect: () => void relist(),
      onDrop: (err) => {
        if (err && !closed) opts.log(`event stream ended: ${err.message}; reconnecting`);
      },
      minDelayMs: 2000,
      maxDelayMs: 2000,
    });
  };

  const selfMetrics = () => {
    const lines = [
      '# HELP dockside_metrics_collection_duration_seconds Time the last collection took.',
      '# TYPE dockside_metrics_collection_duration_seconds gauge',
      `dockside_metrics_collection_duration_seconds ${(lastDurationMs / 1000).toFixed(6)}`,
      '# HELP dockside_metrics_containers Containers in the last collection.',
      '# TYPE dockside_metrics_containers gauge',
      `dockside_metrics_containers ${containersInLast}`,
      '# HELP dockside_metrics_collections_total Collections run since start.',
      '# TYPE dockside_metrics_collections_total counter',
      `dockside_metrics_collections_total ${collections}`,
      '# HELP dockside_metrics_collection_errors_total Collections that failed.',
      '# TYPE dockside_metrics_collection_errors_total counter',
      `dockside_metrics_collection_errors_total ${collectionErrors}`,
      '# HELP dockside_metrics_engine_list_errors_total Failed container listings from the Docker API.',
      '# TYPE dockside_metrics_engine_list_errors_total counter',
      `dockside_metrics_engine_list_errors_total ${listErrors}`,
      '# HELP dockside_metrics_last_collection_timestamp_seconds When the last collection finished (Unix time).',
      '# TYPE dockside_metrics_last_collection_timestamp_seconds gauge',
      `dockside_metrics_last_collection_timestamp_seconds ${(lastCollection / 1000).toFixed(3)}`,
    ];
    return `${lines.join('\n')}\n`;
  };
  let containersInLast = 0;
  let cgroupBody = '';

  function collectNow(): void {
    if (!listedOk) return;
    try {
      const targets: CollectTarget[] = containers.map((c) => ({
        id: c.id,
        name: c.name,
        image: c.image,
        labels: c.labels,
        networkMode: c.networkMode,
        pid: pids.get(c.id) ?? 0,
      }));
      const col = collect(state as CollectorState, targets);
      cgroupBody = renderExposition(col, { labelAllowList: opts.labelAllowList });
      containersInLast = col.containers.length;
      lastDurationMs = col.durationMs;
      lastCollection = Date.now();
      collections++;
    } catch (err) {
      collectionErrors++;
      opts.log(`collection failed: ${(err as Error).message}`);
    }
    body = cgroupBody + selfMetrics();
  }

  const expected = opts.token ? Buffer.from(opts.token) : undefined;
  const authorised = (req: IncomingMessage) => {
    if (!expected) return true;
    // The auth scheme is case-insensitive (RFC 9110 11.1): "bearer", "Bearer", "BEARER".
    const m = /^bearer +(.*)$/i.exec(req.headers.authorization ?? '');
    const got = Buffer.from(m?.[1] ?? '');
    return m !== null && got.length === expected.length && timingSafeEqual(got, expected);
  };

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      const fresh = lastCollection > 0 && Date.now() - lastCollection < Math.max(3 * opts.intervalMs, 30_000);
      res.writeHead(fresh ? 200 : 503, { 'content-type': 'text/plain' }).end(fresh ? 'ok\n' : 'no recent collection\n');
      return;
    }
    if (path === '/metrics') {
      if (!authorised(req)) {
        res.writeHead(401, { 'www-authenticate': 'Bearer realm="dockside-metrics"', 'content-type': 'text/plain' }).end('unauthorised\n');
        return;
      }
      scrapes++;
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('dockside metrics exporter: see /metrics and /healthz\n');
  };

  await relist();
  collectNow();
  watch();
  const timer = setInterval(collectNow, opts.intervalMs);
  relistTimer = setInterval(() => void relist(), RELIST_MS);

  const server = createServer(handler);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  opts.log(`serving /metrics and /healthz on ${opts.host}:${opts.port}, collecting every ${opts.intervalMs} ms${opts.token ? ', bearer token required' : ''}`);

  return {
    server,
    collectNow,
    async close() {
      closed = true;
      clearInterval(timer);
      if (relistTimer) clearInterval(relistTimer);
      stopEvents?.();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      void scrapes;
    },
  };
}
