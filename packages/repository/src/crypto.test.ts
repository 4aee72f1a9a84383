import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MacError, OVERHEAD, open, randomKey, seal } from './crypto.js';

describe("restic's authenticated encryption", () => {
  const key = randomKey();
  const plain = Buffer.from('some plaintext that is longer than one AES block, to cross a counter step');

  it('seals as IV || ciphertext || MAC and opens it again', () => {
    const s = seal(key, plain);
    assert.equal(s.length, plain.length + OVERHEAD);
    assert.notDeepEqual(s.subarray(16, 16 + plain.length), plain);
    assert.deepEqual(open(key, s, 't'), plain);
    assert.notDeepEqual(seal(key, plain).subarray(0, 16), s.subarray(0, 16), 'a fresh IV each time');
  });

  it('refuses a changed IV, ciphertext or MAC, and another key', () => {
    const s = seal(key, plain);
    for (const at of [0, 15, 16, 40, s.length - 16, s.length - 1]) {
      const bad = Buffer.from(s);
      bad[at] = (bad[at] as number) ^ 0x80;
      assert.throws(() => open(key, bad, 't'), MacError, `byte ${at}`);
    }
    assert.throws(() => open(randomKey(), s, 't'), MacError);
    assert.throws(() => open(key, s.subarray(0, 31), 't'), /too short/);
  });
});
