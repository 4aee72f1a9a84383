import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineSplitter } from './line-splitter.js';

describe('LineSplitter', () => {
  it('keeps a character split across chunks whole, cuts a runaway line and resumes after its newline', () => {
    const got: Array<[string, boolean]> = [];
    const s = new LineSplitter((line, truncated) => got.push([line, truncated]), 8);
    const b = Buffer.from('café\n0123456789abc\nok');
    const mid = b.indexOf(Buffer.from('é')) + 1; // between the two bytes of é
    s.write(b.subarray(0, mid));
    s.write(b.subarray(mid));
    s.end();
    assert.deepEqual(got, [
      ['café', false],
      ['01234567', true],
      ['ok', false],
    ]);
  });
});
