/**
 * `dockside metrics serve` / `stop`: the exporter as a long-running sidecar.
 *
 * What it is given, and why:
 *   - the host's /sys/fs/cgroup and /proc, read-only (the figures);
 *   - no Docker socket: it reaches the engine through its own api-proxy (engine `apiAccess`), which
 *     allows exactly the calls it makes (EXPORTER_API_RULES: list, inspect, events; names, images,
 *     labels and pids, cached and refreshed on events) and refuses everything else with 403. A
 *     read-only socket mount would not have made the API read-only. It still runs with every
 *     capability dropped, a read-only root file system, no-new-privileges and small limits, and
 *     its port is published on 127.0.0.1 by default;
 *   - no host PID namespace: /proc/<pid>/net/dev of the host's /proc is enough for network counters;
 *   - the optional bearer token as a file copied in before start (never in inspect, argv or logs).
 */
import { readFile } from 'node:fs/promises';
import { hostViewMounts } from './remote.js';
import { request } from 'node:http';
import { CONTAINER_REF, ROLE, UsageError, UserError, type ApiRule } from '@dockside/common';
import {
  containerLogTail,
  EventReader,
  removeOrphanApiProxies,
  removeWithAnonymousVolumes,
  LABEL,
  listDocksideContainers,
  startServiceWithSecrets,
  type DocksideContainer,
  type Engine,
} from '@dockside/engine';

export const SERVICE_LABEL = 'dockside.metrics.service';
export const PORT_LABEL = 'dockside.metrics.port';
export const LISTEN_LABEL = 'dockside.metrics.listen';
export const CONTAINER_PORT = 9323;
export const TOKEN_DIR = '/run/dockside';
export const TOKEN_PATH = `${TOKEN_DIR}/metrics-token`;
/** The Docker API calls the exporter makes (engine/lite: liteListRunning, liteInspect; engine/events: watchContainerEvents). */
export const EXPORTER_API_RULES: ApiRule[] = [
  { method: 'GET', path: '/containers/json' },
  { method: 'GET', path: `/containers/${CONTAINER_REF}/json` },
  { method: 'GET', path: '/events' },
];
export const DEFAULT_LABEL_ALLOW_LIST = ['com.docker.compose.project', 'com.docker.compose.service'];

export interface ServeOptions {
  image: string;
  version: string;
  session: string;
  port: number;
  listen: string;
  intervalMs: number;
  tokenFile?: string;
  labelAllowList: string[];
  /** Readiness budget (default 30 s). */
  readyTimeoutMs?: number;
}

export interface ServiceInfo {
  id: string;
  name: string;
  url: string;
  listen: string;
  port: number;
  state: string;
  auth: boolean;
}

const serviceFilter = { [LABEL.role]: ROLE.metrics, [SERVICE_LABEL]: 'true' };

export async function listMetricsServices(engine: Engine): Promise<DocksideContainer[]> {
  return listDocksideContainers(engine, serviceFilter);
}

async function readToken(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read token file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
      hint: 'give a readable file holding the bearer token Prometheus will send',
    });
  }
  const token = text.trim();
  if (!token || /\s/.test(token)) {
    throw new UsageError(`token file ${file} must hold one token on one line (found ${token ? 'whitespace inside' : 'nothing'})`, {
      hint: 'e.g. `openssl rand -hex 32 > token`',
    });
  }
  return token;
}

function httpStatus(host: string, port: number, path: string, timeoutMs = 1000): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host, port, path, method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

export async function startMetricsService(engine: Engine, opts: ServeOptions): Promise<ServiceInfo> {
  const token = opts.tokenFile ? await readToken(opts.tokenFile) : undefined;
  const existing = (await listMetricsServices(engine)).filter((c) => c.state === 'running' || c.state === 'restarting');
  if (existing.length) {
    const c = existing[0] as DocksideContainer;
    throw new UserError(`a metrics exporter is already running on this engine (${c.name})`, {
      exitCode: 2,
      code: 'EEXISTS',
      hint: 'stop it first with `dockside metrics stop`',
    });
  }
  // Leftovers (exited) from an earlier run would only confuse `stop`: clear them.
  await stopMetricsService(engine);
  const cmd = ['serve', '--port', String(CONTAINER_PORT), '--interval', String(opts.intervalMs), '--labels', opts.labelAllowList.join(',')];
  if (token) cmd.push('--token-file', TOKEN_PATH);

  const { id } = await startServiceWithSecrets(
    engine,
    {
      role: ROLE.metrics,
      image: opts.image,
      version: opts.version,
      session: opts.session,
      cmd,
      mounts: hostViewMounts(),
      apiAccess: { rules: EXPORTER_API_RULES },
      // The root is read-only; the token goes into a small anonymous volume (removed with the
      // container by `metrics stop`), copied in through the archive API before start.
      secretDir: TOKEN_DIR,
      secrets: token ? [{ name: 'metrics-token', content: token, mode: 0o400 }] : [],
      ports: [{ containerPort: CONTAINER_PORT, hostPort: opts.port, hostIp: opts.listen }],
      capAdd: [],
      readonlyRootfs: true,
      labels: { [SERVICE_LABEL]: 'true', [PORT_LABEL]: String(opts.port), [LISTEN_LABEL]: opts.listen },
      hostConfig: {
        Memory: 128 * 1024 * 1024,
        PidsLimit: 64,
        // Host cgroup namespace so /proc/<pid>/cgroup paths are the host's (custom cgroup parents).
        ...({ CgroupnsMode: 'host' } as object),
      },
      restart: 'unless-stopped',
    },
    async (cid) => {
      if (engine.endpoint.kind !== 'unix') return; // the published port is on the engine's host, not here
      const host = opts.listen === '0.0.0.0' || opts.listen === '::' ? '127.0.0.1' : opts.listen;
      const end = Date.now() + (opts.readyTimeoutMs ?? 30_000);
      for (;;) {
        if ((await httpStatus(host, opts.port, '/healthz')) === 200) return;
        if (Date.now() > end) {
          // The exporter reports why it stopped as a protocol `error` event in its log.
          const log = new EventReader();
          log.end(await containerLogTail(engine, cid, 5));
          await log.finish();
          await removeWithAnonymousVolumes(engine, cid);
          if (log.error) throw log.failure('metrics', 1);
          const said = log.textTail.at(-1) ?? '';
          throw new UserError(
            `the metrics exporter did not answer on http://${host}:${opts.port}/healthz within ${Math.round((opts.readyTimeoutMs ?? 30_000) / 1000)} s and was removed${said ? `; it said: ${said}` : ''}`,
            { hint: `check that port ${opts.port} is free on ${opts.listen} (or pick another with --port)` },
          );
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    },
  );
  const list = await listMetricsServices(engine);
  const me = list.find((c) => c.id === id);
  const shownHost = opts.listen.includes(':') ? `[${opts.listen}]` : opts.listen;
  return {
    id,
    name: me?.name ?? id.slice(0, 12),
    url: `http://${shownHost}:${opts.port}/metrics`,
    listen: opts.listen,
    port: opts.port,
    state: me?.state ?? 'running',
    auth: Boolean(token),
  };
}

export async function stopMetricsService(engine: Engine): Promise<DocksideContainer[]> {
  const list = await listMetricsServices(engine);
  // Each exporter goes with its api-proxy and the proxy's socket volume.
  await Promise.all(list.map((c) => removeWithAnonymousVolumes(engine, c.id)));
  await removeOrphanApiProxies(engine, { role: 'metrics' });
  return list;
}
