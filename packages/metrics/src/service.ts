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
import { ROLE, UsageError, UserError } from '@dockside/common';
import { EXPORTER_API_RULES } from './api-access.js';
import {
  removeOrphanApiProxies,
  removeWithAnonymousVolumes,
  LABEL,
  listDocksideContainers,
  startService,
  stopService,
  type DocksideContainer,
  type Engine,
} from '@dockside/engine';

export const SERVICE_LABEL = 'dockside.metrics.service';
export const PORT_LABEL = 'dockside.metrics.port';
export const LISTEN_LABEL = 'dockside.metrics.listen';
export const CONTAINER_PORT = 9323;
export const TOKEN_DIR = '/run/dockside';
export const TOKEN_PATH = `${TOKEN_DIR}/metrics-token`;
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

  const { id } = await startService(
    engine,
    {
      role: ROLE.metrics,
      image: opts.image,
      version: opts.version,
      session: opts.session,
      cmd,
      mounts: hostViewMounts(),
      apiAccess: { rules: [...EXPORTER_API_RULES] },
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
    { what: 'the metrics exporter', ...(opts.readyTimeoutMs ? { timeoutMs: opts.readyTimeoutMs } : {}) },
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
  await Promise.all(list.map((c) => stopService(engine, c.id, 5)));
  await removeOrphanApiProxies(engine, { role: 'metrics' });
  return list;
}
