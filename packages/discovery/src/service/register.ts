/**
 * `dockside register` / `register ls` / `register stop`: the register sidecar as a long-running
 * service (restart policy unless-stopped), one per target and service.
 *
 * What it is given, and why:
 *   - the target's network namespace (`--net container:`): its check reaches the app on
 *     127.0.0.1:<port>, from where the app itself is, and no address is guessed;
 *   - no Docker socket: its api-proxy allows inspect of its one target and events, nothing else;
 *   - every capability dropped, read-only root, small limits; for dns: the hosts directory (read-write);
 *   - its config as a file copied in before start (on the config volume, which also keeps the
 *     marker that tells a first start from the engine's restarts).
 */
import { ROLE, UsageError } from '@dockside/common';
import {
  LABEL,
  checkHostPath,
  containerLabels,
  engineInfo,
  listAllContainers,
  listDocksideContainers,
  removeWithAnonymousVolumes,
  resolveRunningContainer,
  startService,
  stopService,
  stopContainer,
  type DocksideContainer,
  type Engine,
  type SidecarMount,
  type TargetContainer,
} from '@dockside/engine';
import { discoveryApiRules } from '../api-access.js';
import type { RegisterConfig, Registration } from '../config.js';
import type { RegisterProgress, RegisterState } from '../events.js';
import { displayRegistry } from '../registry/url.js';
import { readReports } from './reports.js';

export const KIND_LABEL = 'dockside.discovery.kind';
export const SERVICE_LABEL = 'dockside.discovery.service';
export const REGISTRY_LABEL = 'dockside.discovery.registry';
const CONFIG_DIR = '/run/dockside';

export interface RegisterOptions extends Registration {
  image: string;
  version: string;
  session: string;
  target: string;
  readyTimeoutMs?: number;
}

export interface RegisterInfo {
  id: string;
  container: string;
  target: string;
  service: string;
  registry: string;
  state: string;
  registered?: RegisterState;
  stale?: string[];
}

/** The network whose address is published: --network, else the target's only one. */
export function publishedNetwork(t: TargetContainer, network: string | undefined): string {
  if (t.networkMode === 'host' || t.networkMode.startsWith('container:') || t.networkMode === 'none') {
    throw new UsageError(`container "${t.name}" runs with network mode ${t.networkMode}: it has no address of its own to publish`, {
      hint: 'register the container that owns the network namespace, on a bridge or user-defined network',
    });
  }
  const names = Object.keys(t.networks ?? {});
  if (network) {
    if (!names.includes(network))
      throw new UsageError(`container "${t.name}" is not on network "${network}" (it is on ${names.join(', ') || 'none'})`, { hint: 'give one of its networks with --network' });
    return network;
  }
  if (names.length === 1) return names[0] as string;
  throw new UsageError(`container "${t.name}" is on ${names.length ? `several networks (${names.join(', ')})` : 'no network'}`, {
    hint: 'choose the network whose address is published with --network',
  });
}

export function validateTimes(intervalMs: number, ttlMs: number): void {
  if (ttlMs < 2 * intervalMs)
    throw new UsageError(`--ttl must be at least twice --interval (got ttl ${ttlMs} ms, interval ${intervalMs} ms)`, {
      hint: 'the lease must outlive a check; e.g. --interval 5s --ttl 15s',
    });
}

/** The discovery sidecars of one kind, of the target named (by name, id or id prefix) if any. */
export async function discoverySidecars(engine: Engine, kind: string, sel: { target?: string; labels?: Record<string, string> } = {}): Promise<DocksideContainer[]> {
  const list = await listDocksideContainers(engine, { [LABEL.role]: ROLE.discovery, [KIND_LABEL]: kind, ...sel.labels });
  const t = sel.target;
  return t ? list.filter((c) => c.targetName === t || c.target === t || c.target.startsWith(t)) : list;
}

export async function listRegisters(engine: Engine, sel: { target?: string; service?: string } = {}): Promise<RegisterInfo[]> {
  const chosen = await discoverySidecars(engine, 'register', {
    ...(sel.target ? { target: sel.target } : {}),
    ...(sel.service ? { labels: { [SERVICE_LABEL]: sel.service } } : {}),
  });
  return Promise.all(chosen.map((c) => describe(engine, c)));
}

async function describe(engine: Engine, c: DocksideContainer): Promise<RegisterInfo> {
  const labels = await containerLabels(engine, c.id);
  const r = await readReports<RegisterState>(engine, c.id);
  return {
    id: c.id,
    container: c.name,
    target: c.targetName,
    service: labels[SERVICE_LABEL] ?? '',
    registry: labels[REGISTRY_LABEL] ?? '',
    state: c.state,
    ...(r.last ? { registered: r.last } : {}),
  };
}

export async function startRegister(engine: Engine, opts: RegisterOptions): Promise<RegisterInfo> {
  validateTimes(opts.intervalMs, opts.ttlMs);
  const target = await resolveRunningContainer(engine, opts.target);
  const network = publishedNetwork(target, opts.network);
  if (opts.registry.kind === 'dns') await checkHostPath(engine, opts.registry.dir, `--to dns:${opts.registry.dir}`);
  const [info, all] = await Promise.all([engineInfo(engine), listAllContainers(engine)]);
  // Same target and service again: the old sidecar goes first (it withdraws on SIGTERM).
  await stopRegisters(engine, { target: target.id, service: opts.service });
  const config: RegisterConfig = {
    service: opts.service,
    port: opts.port,
    check: opts.check,
    intervalMs: opts.intervalMs,
    ttlMs: opts.ttlMs,
    network,
    tags: opts.tags,
    registry: opts.registry,
    target: { id: target.id, name: target.name },
    host: info.name,
    startedAt: Date.now(),
    liveContainers: all.map((c) => c.id),
  };
  const mounts: SidecarMount[] = opts.registry.kind === 'dns' ? [{ type: 'bind', source: opts.registry.dir, target: opts.registry.dir }] : [];
  const registry = displayRegistry(opts.registry);
  const { id, ready } = await startService<RegisterProgress['ready']>(
    engine,
    {
      role: ROLE.discovery,
      image: opts.image,
      version: opts.version,
      session: opts.session,
      target,
      join: { network: true },
      cmd: ['register', '--config', `${CONFIG_DIR}/register.json`],
      mounts,
      secretDir: CONFIG_DIR,
      secrets: [{ name: 'register.json', content: JSON.stringify(config), mode: 0o400 }],
      // exec: checks run as the sidecar's root without capabilities; http and tcp need none either.
      capAdd: [],
      readonlyRootfs: true,
      labels: { [KIND_LABEL]: 'register', [SERVICE_LABEL]: opts.service, [REGISTRY_LABEL]: registry },
      hostConfig: { Memory: 96 * 1024 * 1024, PidsLimit: 32, LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '2' } } },
      restart: 'unless-stopped',
      apiAccess: { rules: discoveryApiRules(target.id) },
    },
    { what: 'the register sidecar', ...(opts.readyTimeoutMs ? { timeoutMs: opts.readyTimeoutMs } : {}) },
  );
  const me = (await listDocksideContainers(engine, { [LABEL.role]: ROLE.discovery })).find((c) => c.id === id);
  const { stale, ...state } = ready ?? { stale: [] };
  return {
    id,
    container: me?.name ?? id.slice(0, 12),
    target: target.name,
    service: opts.service,
    registry,
    state: me?.state ?? 'running',
    ...(ready ? { registered: state as RegisterState } : {}),
    stale,
  };
}

/** SIGTERM (the sidecar withdraws its entry, Consul: deregisters), then remove with its api-proxy. */
export async function stopRegisters(engine: Engine, sel: { target?: string; service?: string; all?: boolean }): Promise<RegisterInfo[]> {
  if (!sel.all && !sel.target) throw new UsageError('name the container whose registrations to stop, or give --all');
  const list = await listRegisters(engine, { ...(sel.target ? { target: sel.target } : {}), ...(sel.service ? { service: sel.service } : {}) });
  await Promise.all(
    list.map(async (r) => {
      await stopService(engine, r.id, 10);
      r.state = 'removed';
    }),
  );
  return list;
}
