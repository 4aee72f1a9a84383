import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CheckpointStore } from '../checkpoint/store.js';
import type { Positioned } from '../record.js';
import { PermanentSinkError, type Sink } from '../sinks/sink.js';
import { ShipStats } from '../stats.js';
import { DELIVERY_WARNING, Pipeline } from './pipeline.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const ID = 'c'.repeat(64);
function lines(n: number, from = 0): Positioned[] {
  return Array.from({ length: n }, (_, i) => {
    const time = `2026-12-03T10:00:${String(from + i).padStart(2, '0')}.000000000Z`;
    return { record: { time, container: 'web', container_id: ID, stream: 'stdout', message: `m${from + i}` }, key: `${ID}/stdout`, position: { ts: time, n: 1 }, bytes: 2 };
  });
}

/** A sink that answers each send with the next outcome in `plan` ('ok', 'fail' = retryable, 'refuse' = permanent). */
function scriptedSink(plan: Array<'ok' | 'fail' | 'refuse'>): Sink {
  return {
    kind: 'test',
    async open() {},
    async close() {},
    async send() {
      const next = plan.shift() ?? 'ok';
      if (next === 'fail') throw new Error('connection refused');
      if (next === 'refuse') throw new PermanentSinkError('answered 400');
      return undefined;
    },
  };
}

async function runPipeline(plan: Array<'ok' | 'fail' | 'refuse'>, batches: Positioned[][]) {
  const dir = mkdtempSync(join(tmpdir(), 'dockside-pipeline-'));
  dirs.push(dir);
  const cp = new CheckpointStore(dir);
  const stats = new ShipStats();
  const warnings: Array<{ msg: string; code: string | undefined }> = [];
  const p = new Pipeline(scriptedSink(plan), cp, stats, {
    maxBatchLines: 100,
    maxBatchBytes: 1e6,
    lingerMs: 1,
    maxQueueBytes: 1e6,
    maxBackoffMs: 5,
    warn: (msg, code) => warnings.push({ msg, code }),
  });
  const running = p.run();
  const snapshots: Array<string | undefined> = [];
  for (const b of batches) {
    await p.push(b);
    while (stats.queued || stats.source.received > stats.sink.sent + stats.sink.dropped) {
      snapshots.push(stats.retrying);
      await new Promise((r) => setTimeout(r, 2));
    }
  }
  p.stop();
  await running;
  return { stats, cp, warnings, snapshots };
}

describe('Pipeline figures', () => {
  it('a batch refused for good moves the position on, but nothing counts as shipped: no lines, no last shipped time', async () => {
    const { stats, cp } = await runPipeline(['refuse'], [lines(3)]);
    const t = stats.targets.get(ID);
    assert.equal(t?.lines, 0);
    assert.equal(t?.errors, 3);
    assert.equal(t?.shippedTime, '');
    assert.deepEqual(t?.positions, { stdout: { ts: '2026-12-03T10:00:02.000000000Z', n: 1 } });
    assert.equal(cp.data.counts?.[ID], undefined);
  });

  it('says it is retrying while delivery fails (a DELIVERY warning), and no longer once a batch gets through', async () => {
    const { stats, warnings, snapshots } = await runPipeline(['fail', 'fail', 'ok'], [lines(2)]);
    assert.ok(snapshots.includes('connection refused'), 'retrying was reported during the failures');
    assert.equal(stats.retrying, undefined, 'cleared after recovery');
    assert.equal(stats.snapshot('n', 'test', []).retrying, undefined);
    assert.deepEqual(
      warnings.map((w) => w.code),
      [DELIVERY_WARNING],
    );
  });

  it('keeps the last shipped time in the checkpoint, so a restart reports it', async () => {
    const { cp } = await runPipeline([], [lines(2), lines(2, 5)]);
    assert.deepEqual(cp.data.counts?.[ID], { lines: 4, bytes: 8, shippedTime: '2026-12-03T10:00:06.000000000Z' });
    assert.equal(ShipStats.fromCheckpoint(cp.data).targets.get(ID)?.shippedTime, '2026-12-03T10:00:06.000000000Z');
  });
});
