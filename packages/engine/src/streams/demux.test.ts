import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { FrameParser, demuxTo } from './demux.js';

function frame(stream: number, text: string): Buffer {
  const body = Buffer.from(text);
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(body.length, 4);
  return Buffer.concat([h, body]);
}

describe('FrameParser', () => {
  it('splits frames that arrive in arbitrary pieces', () => {
    const bytes = Buffer.concat([frame(1, 'hello '), frame(2, 'oops'), frame(1, 'world')]);
    for (const step of [1, 3, 7, 8, 9, bytes.length]) {
      const p = new FrameParser();
      const got: string[] = [];
      for (let i = 0; i < bytes.length; i += step) for (const f of p.push(bytes.subarray(i, i + step))) got.push(`${f.stream}:${f.payload}`);
      assert.deepEqual(got, ['1:hello ', '2:oops', '1:world'], `step ${step}`);
      assert.equal(p.pending, 0);
    }
  });
});

describe('demuxTo', () => {
  it('routes stdout and stderr and waits for a slow consumer (backpressure)', async () => {
    const out: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const slow = new Writable({
      highWaterMark: 1,
      write(chunk, _e, cb) {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        setTimeout(() => {
          out.push(String(chunk));
          inFlight--;
          cb();
        }, 2);
      },
    });
    const err = new PassThrough();
    const errText: string[] = [];
    err.on('data', (c) => errText.push(String(c)));
    const sink = demuxTo(slow, err);
    const src = new PassThrough();
    const done = new Promise((r) => sink.on('finish', r));
    src.pipe(sink);
    for (let i = 0; i < 50; i++) src.write(frame(1, `line${i}\n`));
    src.write(frame(2, 'warn\n'));
    src.end();
    await done;
    assert.equal(out.join(''), Array.from({ length: 50 }, (_, i) => `line${i}\n`).join(''));
    assert.equal(errText.join(''), 'warn\n');
    assert.equal(maxInFlight, 1);
  });
});
