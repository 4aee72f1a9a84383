/** Per-container rates from two collections: what the snapshot table and `top` show. Pure. */
import { naturalCompare } from '@dockside/common';
import type { Collection, ContainerMetrics } from './collector.js';

export interface ContainerRates {
  id: string;
  name: string;
  image: string;
  /** Percent of one core over the sampling window (200 = two cores busy). */
  cpuPercent: number;
  cpuSeconds: number;
  cpuQuotaCores: number | null;
  memoryUsageBytes: number;
  memoryWorkingSetBytes: number;
  memoryRssBytes: number;
  memoryCacheBytes: number;
  memoryLimitBytes: number | null;
  /** Working set as a percentage of the limit, null when unlimited. */
  memoryPercent: number | null;
  netRxBytesPerSecond: number | null;
  netTxBytesPerSecond: number | null;
  netRxBytes: number | null;
  netTxBytes: number | null;
  /** Name of the container whose namespace this one shares (its traffic is reported there). */
  networkSharedWith: string | null;
  networkHost: boolean;
  blockReadBytesPerSecond: number;
  blockWriteBytesPerSecond: number;
  blockReadBytes: number;
  blockWriteBytes: number;
  pids: number;
  pidsLimit: number | null;
}

const sum = <T>(xs: T[], f: (x: T) => number) => xs.reduce((a, x) => a + f(x), 0);

function netTotals(c: ContainerMetrics): { rx: number; tx: number } | null {
  if (!c.network || c.network.sharedWith || c.network.host) return null;
  return { rx: sum(c.network.interfaces, (i) => i.rxBytes), tx: sum(c.network.interfaces, (i) => i.txBytes) };
}

/** Rates for every container present in `b`; a container missing from `a` gets rates of 0. */
export function computeRates(a: Collection, b: Collection): ContainerRates[] {
  const dt = Math.max(1e-3, (b.monotonicMs - a.monotonicMs) / 1000);
  const before = new Map(a.containers.map((c) => [c.id, c]));
  const byId = new Map(b.containers.map((c) => [c.id, c]));
  const rate = (now: number, then: number | undefined) => (then === undefined || now < then ? 0 : (now - then) / dt);
  return b.containers.map((c) => {
    const p = before.get(c.id);
    const net = netTotals(c);
    const pnet = p ? netTotals(p) : null;
    const rd = sum(c.io, (d) => d.readBytes);
    const wr = sum(c.io, (d) => d.writeBytes);
    const shared = c.network?.sharedWith ? (byId.get(c.network.sharedWith)?.name ?? c.network.sharedWith.slice(0, 12)) : null;
    return {
      id: c.id,
      name: c.name,
      image: c.image,
      cpuPercent: rate(c.cpu.usageSeconds, p?.cpu.usageSeconds) * 100,
      cpuSeconds: c.cpu.usageSeconds,
      cpuQuotaCores: c.cpu.quotaCores,
      memoryUsageBytes: c.memory.usage,
      memoryWorkingSetBytes: c.memory.workingSet,
      memoryRssBytes: c.memory.rss,
      memoryCacheBytes: c.memory.cache,
      memoryLimitBytes: c.memory.limit,
      memoryPercent: c.memory.limit ? (c.memory.workingSet / c.memory.limit) * 100 : null,
      netRxBytesPerSecond: net ? rate(net.rx, pnet?.rx) : null,
      netTxBytesPerSecond: net ? rate(net.tx, pnet?.tx) : null,
      netRxBytes: net?.rx ?? null,
      netTxBytes: net?.tx ?? null,
      networkSharedWith: shared,
      networkHost: c.network?.host ?? false,
      blockReadBytesPerSecond: rate(rd, p ? sum(p.io, (d) => d.readBytes) : undefined),
      blockWriteBytesPerSecond: rate(wr, p ? sum(p.io, (d) => d.writeBytes) : undefined),
      blockReadBytes: rd,
      blockWriteBytes: wr,
      pids: c.pids.current,
      pidsLimit: c.pids.limit,
    };
  });
}

export type SortKey = 'cpu' | 'mem' | 'net' | 'io' | 'name';

export function sortRates(rows: ContainerRates[], key: SortKey): ContainerRates[] {
  const score: Record<SortKey, (r: ContainerRates) => number> = {
    cpu: (r) => r.cpuPercent,
    mem: (r) => r.memoryWorkingSetBytes,
    net: (r) => (r.netRxBytesPerSecond ?? 0) + (r.netTxBytesPerSecond ?? 0),
    io: (r) => r.blockReadBytesPerSecond + r.blockWriteBytesPerSecond,
    name: () => 0,
  };
  const f = score[key];
  return [...rows].sort((x, y) => f(y) - f(x) || naturalCompare(x.name, y.name));
}
