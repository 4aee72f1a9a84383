import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CheckpointData } from './checkpoint/store.js';
import { ShipStats, asOfState } from './stats.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

describe('ShipStats.fromCheckpoint (a restarted shipper)', () => {
  it('carries over counts, the last shipped time and the position of every stream, docker and file', () => {
    const d: CheckpointData = {
      v: 1,
      names: { [A]: 'web', [B]: 'legacy' },
      positions: {
        [`${A}/stdout`]: { ts: '2026-12-03T10:00:02.000000001Z', n: 1 },
        [`${A}/stderr`]: { ts: '2026-12-03T10:00:01.000000000Z', n: 3 },
        [`${B}/file:/var/log/app/app.log`]: { fp: 'x', offset: 120 },
      },
      counts: { [A]: { lines: 40, bytes: 400, shippedTime: '2026-12-03T10:00:02.000000001Z' }, [B]: { lines: 2, bytes: 20 } },
      gaps: [{ container: 'web', container_id: A, stream: 'stdout', from: 'x', to: 'y' }],
    };
    const s = ShipStats.fromCheckpoint(d);
    const a = s.targets.get(A);
    assert.deepEqual(
      { lines: a?.lines, bytes: a?.bytes, shippedTime: a?.shippedTime, gaps: a?.gaps, positions: a?.positions },
      {
        lines: 40,
        bytes: 400,
        shippedTime: '2026-12-03T10:00:02.000000001Z',
        gaps: 1,
        positions: { stdout: { ts: '2026-12-03T10:00:02.000000001Z', n: 1 }, stderr: { ts: '2026-12-03T10:00:01.000000000Z', n: 3 } },
      },
    );
    assert.deepEqual(s.targets.get(B)?.positions, { '/var/log/app/app.log': { fp: 'x', offset: 120 } });
  });

  it('a checkpoint from before shippedTime was kept: the newest stream position tells it', () => {
    const s = ShipStats.fromCheckpoint({
      v: 1,
      names: { [A]: 'web' },
      positions: { [`${A}/stdout`]: { ts: '2026-12-03T10:00:01Z', n: 1 }, [`${A}/stderr`]: { ts: '2026-12-03T10:00:05Z', n: 1 } },
      counts: { [A]: { lines: 2, bytes: 2 } },
      gaps: [],
    });
    assert.equal(s.targets.get(A)?.shippedTime, '2026-12-03T10:00:05Z');
  });
});

describe('asOfState', () => {
  it('a shipper that is not running has no lag (null, shown as -) and is not retrying', () => {
    const s = new ShipStats();
    Object.assign(s.target(A, 'web'), { readTime: '2026-12-03T10:00:05Z', shippedTime: '2026-12-03T10:00:01Z' });
    s.retrying = 'boom';
    const snap = s.snapshot('n', 'file', []);
    assert.equal(snap.targets[0]?.lagSeconds, 4);
    const stale = asOfState(snap, false);
    assert.equal(stale.targets[0]?.lagSeconds, null);
    assert.equal(stale.retrying, undefined);
    assert.equal(asOfState(snap, true).targets[0]?.lagSeconds, 4);
  });
});
