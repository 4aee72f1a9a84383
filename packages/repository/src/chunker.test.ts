import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Chunker, chunkerTables, MAX_SIZE, MIN_SIZE } from './chunker.js';
import { seededBytes } from './testing/fixture.js';

// restic's own test polynomial (restic/chunker's tests).
const POL = 0x3da3358b4dc173n;

/**
 * Recorded from Debian's restic 0.14: `seededBytes('chunker-vector', 12 MiB)` backed up into a
 * repository with this polynomial; the running sums of the lengths of the file's blobs
 * (`restic cat blob` of each id in its node's content). Also checked live in restic-interop.test.ts.
 */
const RESTIC_CUTS = [960066, 2146548, 2993336, 4175838, 5840434, 9241458, 11103162];

function cuts(data: Buffer, step: number): number[] {
  const c = new Chunker(chunkerTables(POL));
  const out: number[] = [];
  let base = 0;
  for (let off = 0; off < data.length; off += step) {
    const buf = data.subarray(off, Math.min(off + step, data.length));
    for (let from = 0, at: number; (at = c.next(buf, from)) > 0; from = at) out.push(base + at);
    base += buf.length;
  }
  return out;
}

describe('chunker', () => {
  const data = seededBytes('chunker-vector', 12 * 1024 * 1024);

  it("cuts where restic 0.14 cuts (restic's test polynomial, seeded data)", () => {
    assert.deepEqual(cuts(data, data.length), RESTIC_CUTS);
  });

  it('gives the same cuts whatever the read size', () => {
    for (const step of [1, 4096, 65536 + 7, 1024 * 1024])
      assert.deepEqual(cuts(data.subarray(0, step === 1 ? 2 * 1024 * 1024 : data.length), step), step === 1 ? RESTIC_CUTS.filter((c) => c <= 2 * 1024 * 1024) : RESTIC_CUTS);
  });

  it('never cuts before 512 KiB, always at 8 MiB: zeros cut at the minimum, a long run at the maximum', () => {
    assert.deepEqual(cuts(Buffer.alloc(2 * MIN_SIZE + 10), 1 << 20), [MIN_SIZE, 2 * MIN_SIZE]);
    // A constant byte gives a constant digest: either a cut at once (at the minimum) or never (at the maximum).
    const at = (v: number) => new Chunker(chunkerTables(POL)).next(Buffer.alloc(MAX_SIZE + 100, v));
    const results = new Set(Array.from({ length: 8 }, (_, i) => at(0xf8 + i)));
    assert.ok(results.has(MAX_SIZE), `some constant byte reaches the maximum: ${[...results].join(', ')}`);
    for (const r of results) assert.ok(r === MIN_SIZE || r === MAX_SIZE, `cut at ${r}`);
  });
});
