/**
 * The files source across a shipper restart: a file renamed away (rotated) while the shipper was
 * down is found among its siblings by fingerprint and read from the saved position first; only a
 * file that is really gone is a gap. Real files in a temporary directory; a stand-in pipeline that
 * acknowledges at once (positions as the checkpoint would keep them).
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CheckpointStore } from '../checkpoint/store.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { Positioned } from '../record.js';
import { ShipStats } from '../stats.js';
import { FilesSource } from './files.js';

const root = mkdtempSync(join(tmpdir(), 'files-src-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** One shipper run: follow the glob until `until` holds, then stop (as a kill after the last ack). */
async function run(checkpoint: CheckpointStore, glob: string, shipped: string[], until: () => boolean): Promise<string[]> {
  const warnings: string[] = [];
  const pipeline = {
    push(items: Positioned[]) {
      for (const it of items) {
        shipped.push(it.record.message);
        checkpoint.data.positions[it.key] = it.position;
      }
      return undefined;
    },
  } as unknown as Pipeline;
  const src = new FilesSource({
    globs: [glob],
    target: { id: 'c1', name: 'app', volumes: [root] },
    maxLine: 1 << 20,
    pipeline,
    checkpoint,
    stats: new ShipStats(),
    warn: (m) => warnings.push(m),
  });
  await src.start();
  for (let i = 0; i < 200 && !until(); i++) await new Promise((r) => setTimeout(r, 10));
  await src.stop();
  return warnings;
}

const numbered = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `n ${from + i}\n`).join('');

describe('files source across a restart', () => {
  it('reads the rest of a file rotated by rename while the shipper was down, then the new file, each line once', async () => {
    const dir = mkdtempSync(join(root, 'rename-'));
    const f = join(dir, 'app.log');
    writeFileSync(f, numbered(1, 100));
    const checkpoint = new CheckpointStore(dir);
    const shipped: string[] = [];
    await run(checkpoint, f, shipped, () => shipped.length >= 100);
    // While the shipper is away: more lines, a rename (logrotate's default), a new file.
    appendFileSync(f, numbered(101, 300));
    renameSync(f, `${f}.1`);
    writeFileSync(f, numbered(301, 400));
    const warnings = await run(checkpoint, f, shipped, () => shipped.length >= 400);
    assert.deepEqual(shipped, numbered(1, 400).trimEnd().split('\n'));
    assert.deepEqual(checkpoint.data.gaps, []);
    assert.match(warnings.join('\n'), /rotated to .*app\.log\.1 while the shipper was away/);
  });

  it('reports a gap when the rotated file is gone (deleted or compressed)', async () => {
    const dir = mkdtempSync(join(root, 'gone-'));
    const f = join(dir, 'app.log');
    writeFileSync(f, numbered(1, 50));
    const checkpoint = new CheckpointStore(dir);
    const shipped: string[] = [];
    await run(checkpoint, f, shipped, () => shipped.length >= 50);
    appendFileSync(f, numbered(51, 80));
    renameSync(f, `${f}.1.gz`); // compressed: not readable as text, not looked into
    writeFileSync(f, numbered(81, 90));
    await run(checkpoint, f, shipped, () => shipped.length >= 60);
    assert.deepEqual(shipped, [...numbered(1, 50).trimEnd().split('\n'), ...numbered(81, 90).trimEnd().split('\n')]);
    assert.equal(checkpoint.data.gaps.length, 1);
    unlinkSync(`${f}.1.gz`);
  });
});
