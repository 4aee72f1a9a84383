/** `dockside metrics`: one snapshot, rates from two collections `sampleMs` apart. */
import type { Engine } from '@dockside/engine';
import { collect, type Collection } from './collector.js';
import { chooseTargets, localCollector } from './local.js';
import { computeRates, sortRates, type ContainerRates, type SortKey } from './rates.js';

export interface SnapshotOptions {
  containers: string[];
  /** Time between the two samples the rates come from. */
  sampleMs: number;
  sort?: SortKey;
}

export interface Snapshot {
  timestamp: string;
  cgroupVersion: 1 | 2;
  sampleMs: number;
  /** Time one full collection took (ms). */
  collectionMs: number;
  containers: ContainerRates[];
}

export async function takeSnapshot(engine: Engine, opts: SnapshotOptions): Promise<Snapshot> {
  const state = localCollector(engine);
  const targets = await chooseTargets(engine, state, opts.containers);
  const a: Collection = collect(state, targets);
  await new Promise((r) => setTimeout(r, opts.sampleMs));
  const b = collect(state, targets);
  return {
    timestamp: new Date(b.timestamp).toISOString(),
    cgroupVersion: b.cgroupVersion,
    sampleMs: Math.round(b.monotonicMs - a.monotonicMs),
    collectionMs: Math.round(b.durationMs * 100) / 100,
    containers: sortRates(computeRates(a, b), opts.sort ?? 'name'),
  };
}
