/**
 * `dockside logs ship` / `status` / `stop`: the shipper as a long-running sidecar (restart policy
 * unless-stopped, labelled like every sidecar, one per --name).
 *
 * What it is given, and why:
 *   - no Docker socket: it reaches the engine through its own api-proxy, which allows exactly the
 *     calls in LOGSHIP_API_RULES (ping, version, list, inspect, logs, events) and refuses the rest;
 *     every capability dropped, a read-only root file system and small limits;
 *   - its own named volume `dockside-logship-<name>` at /state: the checkpoint, kept across
 *     replacements so a new shipper resumes where the old one stopped;
 *   - for file:///dir, that host directory at the same path (read-write);
 *   - its config as a file copied in before start (a sink URL may hold credentials).
 */
import { mkdir } from 'node:fs/promises';
import { ROLE, UserError } from '@dockside/common';
import { LOGSHIP_API_RULES } from './api-access.js';
import {
  EventReader,
  checkHostPath,
  LABEL,
  containerLabels,
  containerLogTail,
  createNamedVolume,
  inspectVolume,
  listDocksideContainers,
  removeNamedVolume,
  removeWithAnonymousVolumes,
  resolveContainer,
  startServiceWithSecrets,
  stopContainer,
  type DocksideContainer,
  type Engine,
  type SidecarMount,
} from '@dockside/engine';
import type { ShipConfig } from './config.js';
import type { StatusSnapshot } from './stats.js';
import { displaySinkUrl } from './sinks/url.js';
import { checkGlobInVolumes } from './sources/glob.js';

/** A shipper's destination as its label holds it, masked again (a label written before masking covered queries). */
function shownSink(label: string | undefined): string {
  return label ? displaySinkUrl(label) : '';
}

export const NAME_LABEL = 'dockside.logship.name';
export const SINK_LABEL = 'dockside.logship.sink';
const CONFIG_DIR = '/run/dockside';
const METRICS_CONTAINER_PORT = 9324;

export interface ShipServiceOptions {
  image: string;
  version: string;
  session: string;
  config: ShipConfig;
  /** Where the sink is, shown in status (credentials stripped). */
  sinkDisplay: string;
  network?: string;
  /** Publish /metrics on 127.0.0.1:<port> of the host. */
  metricsPort?: number;
  readyTimeoutMs?: number;
  /**
   * Reach the engine through a proxy that already runs on this engine (the fleet's per-node
   * log-shipper proxy, socket in this volume) instead of one of its own. The position volume is
   * then made by the engine at create (the caller's proxy takes no volume create).
   */
  apiSocketVolume?: string;
  /** More labels on the shipper (the fleet agent's chore and task). */
  labels?: Record<string, string>;
}

export interface ShipperInfo {
  id: string;
  name: string;
  container: string;
  sink: string;
  state: string;
  volume: string;
}

export function stateVolumeName(name: string): string {
  return `dockside-logship-${name}`;
}

export async function listShippers(engine: Engine, name?: string): Promise<DocksideContainer[]> {
  return listDocksideContainers(engine, { [LABEL.role]: ROLE.logship, ...(name ? { [NAME_LABEL]: name } : {}) });
}

/** The last status (and warnings, error) a shipper reported through the sidecar protocol. */
async function readReports(engine: Engine, id: string, lines = 60): Promise<{ ready: boolean; status?: StatusSnapshot; reader: EventReader }> {
  let ready = false;
  let status: StatusSnapshot | undefined;
  const reader = new EventReader({
    onEvent: (e) => {
      if (e.type === 'progress' && e.name === 'ready') ready = true;
      if (e.type === 'progress' && e.name === 'status') status = e.data as StatusSnapshot;
    },
  });
  reader.write(Buffer.from(`${await containerLogTail(engine, id, lines)}\n`));
  await reader.finish();
  return { ready, ...(status ? { status } : {}), reader };
}

export async function startShipper(engine: Engine, opts: ShipServiceOptions): Promise<ShipperInfo> {
  const cfg = opts.config;
  // Before the old shipper goes and before any mkdir (one under /proc never returns).
  if (cfg.sink.kind === 'file') await checkHostPath(engine, cfg.sink.dir, `--to file://${cfg.sink.dir}`);
  const targets = [];
  for (const c of cfg.selection.containers) targets.push(await resolveContainer(engine, c));
  const filesTarget = cfg.files.length ? targets[0] : undefined;
  if (filesTarget) for (const g of cfg.files) checkGlobInVolumes(g, filesTarget.mounts.map((m) => m.destination), filesTarget.name);
  // Same name again: the old shipper goes, its volume (positions) stays.
  for (const old of await listShippers(engine, cfg.name)) {
    await stopContainer(engine, old.id, 10).catch(() => undefined);
    await removeWithAnonymousVolumes(engine, old.id);
  }
  const volume = stateVolumeName(cfg.name);
  const newVolume = !(await inspectVolume(engine, volume));
  if (newVolume && !opts.apiSocketVolume) {
    await createNamedVolume(engine, volume, { [LABEL.managed]: 'true', [LABEL.role]: ROLE.logship, [NAME_LABEL]: cfg.name });
  }
  const mounts: SidecarMount[] = [
    { type: 'volume', source: volume, target: cfg.stateDir },
  ];
  if (cfg.sink.kind === 'file') {
    if (engine.endpoint.kind === 'unix') await mkdir(cfg.sink.dir, { recursive: true }).catch(() => undefined);
    mounts.push({ type: 'bind', source: cfg.sink.dir, target: cfg.sink.dir });
  }
  const network = opts.network ?? (cfg.sink.kind === 'file' && !opts.metricsPort ? 'none' : undefined);
  const hostNet = network === 'host';
  const config: ShipConfig = { ...cfg, ...(filesTarget ? { filesTarget: { id: filesTarget.id, name: filesTarget.name, volumes: filesTarget.mounts.map((m) => m.destination) } } : {}), ...(opts.metricsPort ? { metricsPort: hostNet ? opts.metricsPort : METRICS_CONTAINER_PORT } : {}) };
  const started = startServiceWithSecrets(
    engine,
    {
      role: ROLE.logship,
      image: opts.image,
      version: opts.version,
      session: opts.session,
      cmd: ['ship', '--config', `${CONFIG_DIR}/logship.json`],
      mounts,
      secretDir: CONFIG_DIR,
      secrets: [{ name: 'logship.json', content: JSON.stringify(config), mode: 0o400 }],
      // Reading the target's files (its user may own them) needs CAP_DAC_READ_SEARCH, nothing more.
      capAdd: filesTarget ? ['DAC_READ_SEARCH'] : [],
      readonlyRootfs: true,
      ...(network ? { networkMode: network } : {}),
      ...(opts.metricsPort && !hostNet ? { ports: [{ containerPort: METRICS_CONTAINER_PORT, hostPort: opts.metricsPort, hostIp: '127.0.0.1' }] } : {}),
      labels: { ...opts.labels, [NAME_LABEL]: cfg.name, [SINK_LABEL]: displaySinkUrl(opts.sinkDisplay) },
      hostConfig: {
        Memory: 256 * 1024 * 1024,
        PidsLimit: 64,
        LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '2' } },
        ...(filesTarget ? { VolumesFrom: [`${filesTarget.id}:ro`] } : {}),
      },
      restart: 'unless-stopped',
      // No engine socket: list, inspect, logs and events through its own filtering api-proxy.
      ...(opts.apiSocketVolume ? { apiSocketVolume: opts.apiSocketVolume } : { apiAccess: { rules: LOGSHIP_API_RULES } }),
    },
    async (cid) => {
      const end = Date.now() + (opts.readyTimeoutMs ?? 30_000);
      for (;;) {
        const r = await readReports(engine, cid);
        if (r.ready) return;
        if (r.reader.error || Date.now() > end) {
          await removeWithAnonymousVolumes(engine, cid);
          if (r.reader.error) throw r.reader.failure(ROLE.logship, 1);
          throw new UserError(`the log shipper did not report ready within ${Math.round((opts.readyTimeoutMs ?? 30_000) / 1000)} s and was removed`, {
            hint: r.reader.textTail.length ? `it said: ${r.reader.textTail.slice(-2).join(' | ')}` : 'see `docker logs` of a new attempt',
          });
        }
        await new Promise((res) => setTimeout(res, 150));
      }
    },
  );
  // A shipper that never started leaves no volume behind (an existing one keeps its positions).
  const { id } = await started.catch(async (err: unknown) => {
    if (newVolume) await removeNamedVolume(engine, volume).catch(() => undefined);
    throw err;
  });
  const me = (await listShippers(engine, cfg.name)).find((c) => c.id === id);
  return { id, name: cfg.name, container: me?.name ?? id.slice(0, 12), sink: displaySinkUrl(opts.sinkDisplay), state: me?.state ?? 'running', volume };
}

export interface ShipperStatus extends ShipperInfo {
  status?: StatusSnapshot;
  warnings: string[];
}

export async function shipperStatus(engine: Engine, name?: string): Promise<ShipperStatus[]> {
  const list = await listShippers(engine, name);
  return Promise.all(
    list.map(async (c) => {
      const r = await readReports(engine, c.id, 200);
      const labels = await containerLabels(engine, c.id);
      const n = labels[NAME_LABEL] ?? '';
      return { id: c.id, name: n, container: c.name, sink: shownSink(labels[SINK_LABEL]), state: c.state, volume: stateVolumeName(n), ...(r.status ? { status: r.status } : {}), warnings: r.reader.warnings.slice(-5) };
    }),
  );
}

/** Stop (SIGTERM: the queue is delivered first) and remove; `forget` also drops the positions. */
export async function stopShipper(engine: Engine, name: string | undefined, forget = false): Promise<ShipperInfo[]> {
  const list = await listShippers(engine, name);
  const out: ShipperInfo[] = [];
  for (const c of list) {
    const labels = await containerLabels(engine, c.id);
    const n = labels[NAME_LABEL] ?? '';
    await stopContainer(engine, c.id, 20).catch(() => undefined);
    await removeWithAnonymousVolumes(engine, c.id);
    if (forget && n) await removeNamedVolume(engine, stateVolumeName(n));
    out.push({ id: c.id, name: n, container: c.name, sink: shownSink(labels[SINK_LABEL]), state: 'removed', volume: stateVolumeName(n) });
  }
  if (forget && name) await removeNamedVolume(engine, stateVolumeName(name));
  return out;
}
