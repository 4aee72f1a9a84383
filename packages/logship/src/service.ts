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
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { EXIT, InterruptedError, ROLE, UserError } from '@dockside/common';
import { LOGSHIP_API_RULES } from './api-access.js';
import {
  EventReader,
  apiProxyVolumeOf,
  checkHostPath,
  checkNetworkMode,
  listApiProxies,
  renameContainer,
  startContainer,
  LABEL,
  containerLabels,
  containerLogTail,
  createNamedVolume,
  inspectVolume,
  listDocksideContainers,
  removeNamedVolume,
  removeWithAnonymousVolumes,
  resolveContainer,
  startService,
  stopService,
  stopContainer,
  type DocksideContainer,
  type Engine,
  type SidecarMount,
} from '@dockside/engine';
import type { ShipConfig } from './config.js';
import { asOfState, type StatusSnapshot } from './stats.js';
import type { ShipProgress } from './events.js';
import { DELIVERY_WARNING } from './pipeline/pipeline.js';
import { displaySinkUrl } from './sinks/url.js';
import { checkGlobInVolumes } from './sources/glob.js';

/** A shipper's destination as its label holds it, masked again (a label written before masking covered queries). */
function shownSink(label: string | undefined): string {
  return label ? displaySinkUrl(label) : '';
}

import { INSTANCE_LABEL, NAME_LABEL, SINK_LABEL } from './labels.js';

export { NAME_LABEL, SINK_LABEL } from './labels.js';
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
  /** Aborted (reason: the signal's name) when the CLI is interrupted: what this run did is undone. */
  signal?: AbortSignal;
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

/**
 * The shipper container's name, derived from its --name: the engine's name uniqueness is what
 * makes it one shipper per name (two `logs ship --name N` at once: one create wins, the other
 * gets a conflict). Its api-proxy is `<this>-api-proxy`.
 */
export function shipperContainerName(name: string): string {
  return `dockside-logship-${name}`;
}

/** The name a shipper holds while a new one replaces it (a second rename to it fails: the claim). */
function replacedName(name: string): string {
  return `${shipperContainerName(name)}-replaced`;
}

function busy(name: string): UserError {
  return new UserError(`another \`dockside logs ship --name ${name}\` is starting or replacing that shipper right now`, {
    exitCode: EXIT.usage,
    code: 'EBUSY',
    hint: `wait for it and see \`dockside logs status --name ${name}\`; if none is running (one was killed midway), \`dockside logs stop --name ${name}\` clears what it left`,
  });
}

/** The old shipper, renamed out of the way (with its api-proxy) until the new one runs. */
interface Claimed {
  id: string;
  name: string;
  proxy?: { id: string; name: string };
}

/** Take the old shipper's place: rename it (and its proxy) so the new one can have the name. */
async function claimOld(engine: Engine, name: string, old: DocksideContainer): Promise<Claimed> {
  if (!(await renameContainer(engine, old.id, replacedName(name)))) throw busy(name);
  const volume = await apiProxyVolumeOf(engine, old.id);
  const proxy = volume ? (await listApiProxies(engine, { volume }))[0] : undefined;
  if (proxy) await renameContainer(engine, proxy.id, `${replacedName(name)}-api-proxy`);
  return { id: old.id, name: old.name, ...(proxy ? { proxy: { id: proxy.id, name: proxy.name } } : {}) };
}

/** The new shipper did not start: the old one gets its names back and runs again. */
async function restoreOld(engine: Engine, old: Claimed, stopped: boolean): Promise<void> {
  if (old.proxy) await renameContainer(engine, old.proxy.id, old.proxy.name);
  await renameContainer(engine, old.id, old.name);
  if (stopped) await startContainer(engine, old.id);
}

export async function listShippers(engine: Engine, name?: string): Promise<DocksideContainer[]> {
  return listDocksideContainers(engine, { [LABEL.role]: ROLE.logship, ...(name ? { [NAME_LABEL]: name } : {}) });
}

/** The last status (and warnings, error) a shipper reported through the sidecar protocol. */
async function readReports(
  engine: Engine,
  id: string,
  lines = 60,
): Promise<{ ready: boolean; checked: boolean; status?: StatusSnapshot; warnings: string[]; reader: EventReader<ShipProgress> }> {
  let ready = false;
  let checked = false;
  let status: StatusSnapshot | undefined;
  const warnings: Array<{ message: string; delivery: boolean }> = [];
  const reader = new EventReader<ShipProgress>({
    onEvent: (e) => {
      if (e.type === 'progress' && e.name === 'checked') checked = true;
      if (e.type === 'progress' && e.name === 'ready') ready = true;
      if (e.type === 'progress' && e.name === 'status') status = e.data;
      if (e.type === 'warning') warnings.push({ message: e.message, delivery: e.code === DELIVERY_WARNING });
    },
  });
  reader.write(Buffer.from(`${await containerLogTail(engine, id, lines)}\n`));
  await reader.finish();
  // A delivery warning holds while the last figures say delivery is failing; after recovery it is history.
  const shown = warnings.filter((w) => !w.delivery || status?.retrying !== undefined || !status).map((w) => w.message);
  return { ready, checked, ...(status ? { status } : {}), warnings: shown, reader };
}

export async function startShipper(engine: Engine, opts: ShipServiceOptions): Promise<ShipperInfo> {
  const cfg = opts.config;
  // Everything that can be checked here is, before the old shipper is touched (and before any
  // mkdir: one under /proc never returns).
  if (cfg.sink.kind === 'file') await checkHostPath(engine, cfg.sink.dir, `--to file://${cfg.sink.dir}`);
  if (opts.network) await checkNetworkMode(engine, opts.network);
  const targets = [];
  for (const c of cfg.selection.containers) targets.push(await resolveContainer(engine, c));
  const filesTarget = cfg.files.length ? targets[0] : undefined;
  if (filesTarget)
    for (const g of cfg.files)
      checkGlobInVolumes(
        g,
        filesTarget.mounts.map((m) => m.destination),
        filesTarget.name,
      );
  // Same name again: the new shipper replaces the old one, which keeps running until the new one
  // found its destination, and comes back if the new one does not start. The volume (positions) stays.
  const olds = await listShippers(engine, cfg.name);
  if (olds.some((c) => c.name === replacedName(cfg.name))) throw busy(cfg.name);
  const [first, ...extra] = [...olds].sort((a, b) => Number(b.name === shipperContainerName(cfg.name)) - Number(a.name === shipperContainerName(cfg.name)));
  const old = first ? await claimOld(engine, cfg.name, first) : undefined;
  let oldStopped = false;
  const interrupted = () => {
    if (opts.signal?.aborted) throw new InterruptedError((opts.signal.reason as NodeJS.Signals | undefined) ?? 'SIGINT');
  };
  const volume = stateVolumeName(cfg.name);
  let newVolume = false;
  try {
    interrupted();
    newVolume = !(await inspectVolume(engine, volume));
    if (newVolume && !opts.apiSocketVolume) await createNamedVolume(engine, volume, { [LABEL.managed]: 'true', [LABEL.role]: ROLE.logship, [NAME_LABEL]: cfg.name });
    const mounts: SidecarMount[] = [{ type: 'volume', source: volume, target: cfg.stateDir }];
    if (cfg.sink.kind === 'file') {
      if (engine.endpoint.kind === 'unix') await mkdir(cfg.sink.dir, { recursive: true }).catch(() => undefined);
      mounts.push({ type: 'bind', source: cfg.sink.dir, target: cfg.sink.dir });
    }
    const network = opts.network ?? (cfg.sink.kind === 'file' && !opts.metricsPort ? 'none' : undefined);
    const hostNet = network === 'host';
    const instance = randomBytes(6).toString('hex');
    const config: ShipConfig = {
      ...cfg,
      instance,
      ...(filesTarget ? { filesTarget: { id: filesTarget.id, name: filesTarget.name, volumes: filesTarget.mounts.map((m) => m.destination) } } : {}),
      ...(opts.metricsPort ? { metricsPort: hostNet ? opts.metricsPort : METRICS_CONTAINER_PORT } : {}),
    };
    const readyMs = opts.readyTimeoutMs ?? 30_000;
    const { id } = await startService(
      engine,
      {
        role: ROLE.logship,
        image: opts.image,
        version: opts.version,
        session: opts.session,
        name: shipperContainerName(cfg.name),
        cmd: ['ship', '--config', `${CONFIG_DIR}/logship.json`],
        mounts,
        secretDir: CONFIG_DIR,
        secrets: [{ name: 'logship.json', content: JSON.stringify(config), mode: 0o400 }],
        // Reading the target's files (its user may own them) needs CAP_DAC_READ_SEARCH, nothing more.
        capAdd: filesTarget ? ['DAC_READ_SEARCH'] : [],
        readonlyRootfs: true,
        ...(network ? { networkMode: network } : {}),
        ...(opts.metricsPort && !hostNet ? { ports: [{ containerPort: METRICS_CONTAINER_PORT, hostPort: opts.metricsPort, hostIp: '127.0.0.1' }] } : {}),
        labels: { ...opts.labels, [NAME_LABEL]: cfg.name, [SINK_LABEL]: displaySinkUrl(opts.sinkDisplay), [INSTANCE_LABEL]: instance },
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
      {
        what: 'the log shipper',
        timeoutMs: readyMs,
        ...(opts.signal ? { signal: opts.signal } : {}),
        // The destination answers: the old shipper stops (saving its positions), the new one
        // waits for that before it takes the checkpoint.
        onProgress: async (name) => {
          if (name !== 'checked' || oldStopped) return;
          oldStopped = true;
          for (const c of [...(old ? [old] : []), ...extra]) await stopContainer(engine, c.id, 10).catch(() => undefined);
        },
      },
    );
    // The new one runs: the old one (and any duplicate left by an older version) goes.
    for (const c of [...(old ? [old] : []), ...extra]) await removeWithAnonymousVolumes(engine, c.id).catch(() => undefined);
    const me = (await listShippers(engine, cfg.name)).find((c) => c.id === id);
    return { id, name: cfg.name, container: me?.name ?? id.slice(0, 12), sink: displaySinkUrl(opts.sinkDisplay), state: me?.state ?? 'running', volume };
  } catch (err) {
    // Another run created the name first (the engine refused ours): it owns the volume too.
    const lost = (err as UserError).code === 'ECONFLICT';
    if (old) await restoreOld(engine, old, oldStopped).catch(() => undefined);
    else if (oldStopped) for (const c of extra) await startContainer(engine, c.id).catch(() => undefined);
    // A shipper that never started leaves no volume behind (an existing one keeps its positions).
    if (newVolume && !lost) await removeNamedVolume(engine, volume).catch(() => undefined);
    throw lost ? busy(cfg.name) : err;
  }
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
      const status = r.status ? asOfState(r.status, c.state === 'running') : undefined;
      return {
        id: c.id,
        name: n,
        container: c.name,
        sink: shownSink(labels[SINK_LABEL]),
        state: c.state,
        volume: stateVolumeName(n),
        ...(status ? { status } : {}),
        warnings: r.warnings.slice(-5),
      };
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
    await stopService(engine, c.id, 20);
    if (forget && n) await removeNamedVolume(engine, stateVolumeName(n));
    out.push({ id: c.id, name: n, container: c.name, sink: shownSink(labels[SINK_LABEL]), state: 'removed', volume: stateVolumeName(n) });
  }
  if (forget && name) await removeNamedVolume(engine, stateVolumeName(name));
  return out;
}
