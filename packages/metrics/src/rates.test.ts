import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Collection, ContainerMetrics } from './collector.js';
import { computeRates, sortRates } from './rates.js';

function metrics(id: string, cpu: number, tx: number, wr: number, ws: number, extra: Partial<ContainerMetrics> = {}): ContainerMetrics {
  return {
    id,
    name: id,
    image: 'i',
    labels: {},
    cgroupPath: `docker/${id}`,
    cpu: { usageSeconds: cpu, userSeconds: 0, systemSeconds: 0, periods: 0, throttledPeriods: 0, throttledSeconds: 0, quotaCores: null },
    memory: { usage: ws, workingSet: ws, rss: 0, cache: 0, swap: 0, limit: 1000, oomEvents: 0 },
    io: [{ device: '8:0', readBytes: 0, writeBytes: wr, reads: 0, writes: 0 }],
    pids: { current: 1, limit: null },
    network: { netns: `n${id}`, interfaces: [{ iface: 'eth0', rxBytes: 0, rxPackets: 0, rxErrors: 0, rxDropped: 0, txBytes: tx, txPackets: 0, txErrors: 0, txDropped: 0 }] },
    ...extra,
  };
}
const col = (ms: number, cs: ContainerMetrics[]): Collection => ({ timestamp: ms, monotonicMs: ms, cgroupVersion: 2, containers: cs, durationMs: 1 });

describe('rates from two collections', () => {
  it('CPU % of one core, bytes per second, memory % of the limit', () => {
    const [r] = computeRates(col(0, [metrics('a', 1, 0, 0, 100)]), col(2000, [metrics('a', 2.5, 4000, 1000, 250)]));
    assert.equal(r?.cpuPercent, 75);
    assert.equal(r?.netTxBytesPerSecond, 2000);
    assert.equal(r?.blockWriteBytesPerSecond, 500);
    assert.equal(r?.memoryPercent, 25);
  });

  it('a new container gets zero rates; a counter reset is not a negative rate', () => {
    const rows = computeRates(col(0, [metrics('a', 5, 100, 0, 1)]), col(1000, [metrics('a', 1, 50, 0, 1), metrics('b', 3, 10, 0, 1)]));
    assert.deepEqual(
      rows.map((r) => [r.id, r.cpuPercent, r.netTxBytesPerSecond]),
      [
        ['a', 0, 0],
        ['b', 0, 0],
      ],
    );
  });

  it('joined and host-network containers have no network figures of their own', () => {
    const joined = metrics('j', 0, 0, 0, 1, { network: { netns: 'na', sharedWith: 'a', interfaces: [] } });
    const rows = computeRates(col(0, []), col(1000, [metrics('a', 0, 0, 0, 1), joined]));
    assert.equal(rows[1]?.networkSharedWith, 'a');
    assert.equal(rows[1]?.netTxBytesPerSecond, null);
  });

  it('sorts by a key, highest first, ties by name', () => {
    const rows = computeRates(col(0, [metrics('a', 0, 0, 0, 5), metrics('b', 0, 0, 0, 9)]), col(1000, [metrics('a', 1, 0, 0, 5), metrics('b', 0.5, 0, 0, 9)]));
    assert.deepEqual(
      sortRates(rows, 'cpu').map((r) => r.id),
      ['a', 'b'],
    );
    assert.deepEqual(
      sortRates(rows, 'mem').map((r) => r.id),
      ['b', 'a'],
    );
  });
});
