import assert from 'node:assert/strict';
import { closeSync, openSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { writeFailure } from '@dockside/common';
import { OutputError, watchOutput, writeAllSync } from './output.js';

describe('in-container output', () => {
  it('a full disk is a one-line OutputError naming what could not be written (exit 1)', () => {
    const fd = openSync('/dev/full', 'w');
    try {
      assert.throws(
        () => writeAllSync(fd, Buffer.alloc(24), 'x.pcap'),
        (err: unknown) => {
          assert.ok(err instanceof OutputError);
          assert.equal(err.message, 'cannot write x.pcap: no space left on device');
          assert.equal(err.exitCode, 1);
          assert.equal(err.code, 'ENOSPC');
          assert.equal(err.failure.kind, 'full');
          assert.ok(err.hint);
          return true;
        },
      );
    } finally {
      closeSync(fd);
    }
  });

  it('ENOSPC and EPIPE are told apart the same way everywhere', () => {
    const e = (code: string) => Object.assign(new Error(code), { code });
    assert.deepEqual(writeFailure(e('ENOSPC')), { kind: 'full', code: 'ENOSPC', reason: 'no space left on device' });
    assert.equal(writeFailure(e('EDQUOT')).kind, 'full');
    assert.equal(writeFailure(e('EPIPE')).kind, 'closed');
    assert.equal(writeFailure(e('ECONNRESET')).kind, 'closed');
    assert.deepEqual(writeFailure(e('EWHAT')), { kind: 'failed', code: 'EWHAT', reason: 'EWHAT' });
  });

  it("a stream's write failure reaches the handler once instead of crashing the program", () => {
    const s = new PassThrough();
    const seen: string[] = [];
    watchOutput(s, (f) => seen.push(f.code));
    s.emit('error', Object.assign(new Error('epipe'), { code: 'EPIPE' }));
    s.emit('error', Object.assign(new Error('again'), { code: 'EPIPE' }));
    assert.deepEqual(seen, ['EPIPE']);
  });
});
