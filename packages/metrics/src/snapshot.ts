/** `dockside metrics`: one snapshot, rates from two collections `sampleMs` apart. */
import { listRunningContainers, resolveRunningContainer, type Engine } from '@dockside/engine';
import { collect, type Collection } from './collector.js';
import { chooseTargets, localCollector, RemoteEngineError } from './local.js';
import { collectViaSidecar } from './remote.js';
import { computeRates, sortRates, type ContainerRates, type SortKey } from './rates.js';

export interface SnapshotOptions {
  containers: string[];
  /** Time between the two samples the rates come from. */
  sampleMs: number;
  sort?: SortKey;
  /**
   * Where to read: `host` (this host's /sys/fs/cgroup and /proc), `sidecar` (a one-shot metrics
   * sidecar on the engine, for remote engines), `auto` (host when the containers' cgroups are
   * here, else sidecar). Default auto.
   */
  source?: 'auto' | 'host' | 'sidecar';
  /** The metrics image, dockside version and session, for the sidecar source. */
  sidecar?: { image: string; version: string; session: string };
  /** Told when the sidecar source is chosen automatically, and why. */
  notice?: (msg: string) => void;
}

export interface Snapshot {
  timestamp: string;
  cgroupVersion: 1 | 2;
  sampleMs: number;
  /** Where the figures were read: this host, or a sidecar on the engine's host. */
  source: 'host' | 'sidecar';
  /** Time one full collection took (ms). */
  collectionMs: number;
  containers: ContainerRates[];
  /** Named containers that stopped (or went away) during the sample: no figures for them. */
  missing: Array<{ id: string; name: string }>;
}

/** The named containers the last collection has no figures for (they stopped during the sample). */
export function missingFrom(named: Array<{ id: string; name: string }>, last: Collection): Array<{ id: string; name: string }> {
  const seen = new Set(last.containers.map((c) => c.id));
  return named.filter((t) => !seen.has(t.id));
}

export async function takeSnapshot(engine: Engine, opts: SnapshotOptions): Promise<Snapshot> {
  const source = opts.source ?? 'auto';
  let a: Collection;
  let b: Collection;
  let used: 'host' | 'sidecar' = 'host';
  /** The named containers, when containers were named (every running one is not a promise). */
  let named: Array<{ id: string; name: string }> = [];
  try {
    if (source === 'sidecar') throw new RemoteEngineError('sidecar source requested');
    const state = localCollector(engine);
    const targets = await chooseTargets(engine, state, opts.containers);
    if (opts.containers.length) named = targets.map((t) => ({ id: t.id, name: t.name }));
    a = collect(state, targets);
    await new Promise((r) => setTimeout(r, opts.sampleMs));
    b = collect(state, targets);
  } catch (err) {
    if (!(err instanceof RemoteEngineError) || source === 'host' || !opts.sidecar) throw err;
    if (source === 'auto') opts.notice?.(`${err.message}; reading them through a one-shot metrics sidecar on the engine instead`);
    used = 'sidecar';
    if (opts.containers.length) {
      const found = await Promise.all(opts.containers.map((ref) => resolveRunningContainer(engine, ref)));
      named = [...new Map(found.map((t) => [t.id, { id: t.id, name: t.name }])).values()];
    }
    const ids = opts.containers.length ? named.map((t) => t.id) : (await listRunningContainers(engine)).map((c) => c.id);
    const cols = ids.length ? await collectViaSidecar(engine, { ...opts.sidecar, samples: 2, intervalMs: opts.sampleMs, ids }) : [];
    const empty: Collection = { timestamp: Date.now(), monotonicMs: 0, cgroupVersion: 1, containers: [], durationMs: 0 };
    a = cols[0] ?? empty;
    b = cols[1] ?? a;
  }
  return {
    timestamp: new Date(b.timestamp).toISOString(),
    cgroupVersion: b.cgroupVersion,
    sampleMs: Math.round(b.monotonicMs - a.monotonicMs),
    source: used,
    collectionMs: Math.round(b.durationMs * 100) / 100,
    containers: sortRates(computeRates(a, b), opts.sort ?? 'name'),
    missing: missingFrom(named, b),
  };
}
