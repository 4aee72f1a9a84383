/**
 * `dockside ambassador` / `ambassador ls` / `ambassador stop`: the ambassador as a long-running
 * sidecar in the app's network namespace (so the app reaches it on localhost), one per target and
 * listen port. Like the register sidecar: no Docker socket (its api-proxy allows inspect of its
 * target and events, to follow the app across restarts), no capabilities, read-only root, config
 * copied in as a file.
 */
import { ROLE, UsageError } from '@dockside/common';
import {
  LABEL,
  checkHostPath,
  containerLabels,
  listDocksideContainers,
  removeWithAnonymousVolumes,
  resolveRunningContainer,
  startService,
  stopService,
  stopContainer,
  type DocksideContainer,
  type Engine,
} from '@dockside/engine';
import { discoveryApiRules } from '../api-access.js';
import type { AmbassadorConfig, OnChangeAction } from '../config.js';
import type { AmbassadorStatus } from '../events.js';
import { displayRegistry, type RegistryConfig } from '../registry/url.js';
import { readReports } from './reports.js';
import { KIND_LABEL, REGISTRY_LABEL, SERVICE_LABEL, discoverySidecars } from './register.js';

export const LISTEN_LABEL = 'dockside.discovery.listen';
const CONFIG_DIR = '/run/dockside';

export interface AmbassadorOptions {
  image: string;
  version: string;
  session: string;
  target: string;
  upstream: string;
  /** Where the app connects; null for a watch (`dockside watch`: no listener, only the on-change action). */
  listen: { host: string; port: number } | null;
  onChange?: OnChangeAction;
  registry: RegistryConfig;
  refreshMs: number;
  connectTimeoutMs: number;
  metricsPort: number;
  readyTimeoutMs?: number;
}

export interface AmbassadorInfo {
  id: string;
  container: string;
  target: string;
  upstream: string;
  listen: string;
  registry: string;
  state: string;
  status?: AmbassadorStatus;
}

/** An ambassador listens for the app; a watch only runs its on-change action. */
export type AmbassadorKind = 'ambassador' | 'watch';

export async function listAmbassadors(engine: Engine, sel: { target?: string; kind?: AmbassadorKind } = {}): Promise<AmbassadorInfo[]> {
  const chosen = await discoverySidecars(engine, sel.kind ?? 'ambassador', sel.target ? { target: sel.target } : {});
  return Promise.all(chosen.map((c) => describe(engine, c)));
}

async function describe(engine: Engine, c: DocksideContainer): Promise<AmbassadorInfo> {
  const labels = await containerLabels(engine, c.id);
  const r = await readReports<AmbassadorStatus>(engine, c.id);
  return {
    id: c.id,
    container: c.name,
    target: c.targetName,
    upstream: labels[SERVICE_LABEL] ?? '',
    listen: labels[LISTEN_LABEL] ?? '',
    registry: labels[REGISTRY_LABEL] ?? '',
    state: c.state,
    ...(r.last ? { status: r.last } : {}),
  };
}

export async function startAmbassador(engine: Engine, opts: AmbassadorOptions): Promise<AmbassadorInfo> {
  const target = await resolveRunningContainer(engine, opts.target);
  if (target.networkMode === 'host')
    throw new UsageError(`container "${target.name}" uses the host's network: an ambassador there would listen on the host`, {
      hint: 'run the ambassador next to a container on a bridge or user-defined network',
    });
  // The hosts directory is bind-mounted (read-only) into the sidecar: the host-path rule applies.
  if (opts.registry.kind === 'dns') await checkHostPath(engine, opts.registry.dir, `--from dns:${opts.registry.dir}`);
  const kind: AmbassadorKind = opts.listen ? 'ambassador' : 'watch';
  const listen = opts.listen ? `${opts.listen.host}:${opts.listen.port}` : '';
  // The same target and port again (for a watch: the same upstream): the old one goes first.
  for (const a of await listAmbassadors(engine, { target: target.id, kind })) {
    if (opts.listen ? a.listen === listen : a.upstream === opts.upstream) {
      await stopService(engine, a.id, 5);
    }
  }
  const config: AmbassadorConfig = {
    upstream: opts.upstream,
    listenHost: opts.listen?.host ?? '127.0.0.1',
    listenPort: opts.listen?.port ?? 0,
    ...(opts.onChange ? { onChange: opts.onChange } : {}),
    registry: opts.registry,
    target: { id: target.id, name: target.name },
    refreshMs: opts.refreshMs,
    connectTimeoutMs: opts.connectTimeoutMs,
    metricsPort: opts.metricsPort,
  };
  const registry = displayRegistry(opts.registry);
  const { id, ready } = await startService<AmbassadorStatus>(
    engine,
    {
      role: ROLE.discovery,
      image: opts.image,
      version: opts.version,
      session: opts.session,
      target,
      join: { network: true },
      cmd: ['ambassador', '--config', `${CONFIG_DIR}/ambassador.json`],
      mounts: opts.registry.kind === 'dns' ? [{ type: 'bind', source: opts.registry.dir, target: opts.registry.dir, readOnly: true }] : [],
      secretDir: CONFIG_DIR,
      secrets: [{ name: 'ambassador.json', content: JSON.stringify(config), mode: 0o400 }],
      capAdd: [],
      readonlyRootfs: true,
      labels: { [KIND_LABEL]: kind, [SERVICE_LABEL]: opts.upstream, [LISTEN_LABEL]: listen, [REGISTRY_LABEL]: registry },
      hostConfig: { Memory: 128 * 1024 * 1024, PidsLimit: 32, LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '2' } } },
      restart: 'unless-stopped',
      apiAccess: { rules: discoveryApiRules(target.id, opts.onChange) },
    },
    { what: `the ${kind} sidecar`, ...(opts.readyTimeoutMs ? { timeoutMs: opts.readyTimeoutMs } : {}) },
  );
  const me = (await listDocksideContainers(engine, { [LABEL.role]: ROLE.discovery })).find((c) => c.id === id);
  return {
    id,
    container: me?.name ?? id.slice(0, 12),
    target: target.name,
    upstream: opts.upstream,
    listen,
    registry,
    state: me?.state ?? 'running',
    ...(ready ? { status: ready } : {}),
  };
}

export async function stopAmbassadors(engine: Engine, sel: { target?: string; all?: boolean; kind?: AmbassadorKind }): Promise<AmbassadorInfo[]> {
  const kind = sel.kind ?? 'ambassador';
  if (!sel.all && !sel.target) throw new UsageError(`name the container whose ${kind === 'watch' ? 'watches' : 'ambassadors'} to stop, or give --all`);
  const list = await listAmbassadors(engine, { kind, ...(sel.target ? { target: sel.target } : {}) });
  await Promise.all(
    list.map(async (a) => {
      await stopService(engine, a.id, 5);
      a.state = 'removed';
    }),
  );
  return list;
}
