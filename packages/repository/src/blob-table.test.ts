import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { BlobTable } from './blob-table.js';

describe('blob table', () => {
  it('finds every id it was given, across several growths, and no other', () => {
    const t = new BlobTable();
    const ids = Array.from({ length: 20_000 }, () => randomBytes(32).toString('hex'));
    const packs = Array.from({ length: 7 }, () => randomBytes(32).toString('hex'));
    ids.forEach((id, i) => assert.equal(t.add(id, { pack: packs[i % 7] as string, offset: i, length: i + 32, ...(i % 3 ? { uncompressedLength: i * 2 } : {}) }), true));
    assert.equal(t.size, ids.length);
    ids.forEach((id, i) => assert.deepEqual(t.get(id), { pack: packs[i % 7], offset: i, length: i + 32, ...(i % 3 ? { uncompressedLength: i * 2 } : {}) }));
    for (let i = 0; i < 1000; i++) assert.equal(t.has(randomBytes(32).toString('hex')), false);
    assert.equal(t.add(ids[5] as string, { pack: 'x'.repeat(64), offset: 1, length: 1 }), false, 'the first location wins');
    assert.equal(t.get(ids[5] as string)?.offset, 5);
    assert.equal(t.get('not hex'), undefined);
    assert.deepEqual(t.packs(), new Set(packs));
  });

  it('keeps apart ids that share their first word', () => {
    const t = new BlobTable();
    const a = `00000000${'1'.repeat(56)}`;
    const b = `00000000${'2'.repeat(56)}`;
    t.add(a, { pack: 'p'.repeat(64), offset: 1, length: 40 });
    assert.equal(t.has(b), false);
    t.add(b, { pack: 'p'.repeat(64), offset: 2, length: 40 });
    assert.equal(t.get(a)?.offset, 1);
    assert.equal(t.get(b)?.offset, 2);
  });
});
