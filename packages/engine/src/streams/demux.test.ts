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
  it('routes stdout and stderr in order', async () => {
    const out = new PassThrough();
    const err = new PassThrough();
    const outText: string[] = [];
    const errText: string[] = [];
    out.on('data', (c) => outText.push(String(c)));
    err.on('data', (c) => errText.push(String(c)));
    const sink = demuxTo(out, err);
    const done = new Promise((r) => sink.on('finish', r));
    for (let i = 0; i < 50; i++) sink.write(frame(1, `line${i}\n`));
    sink.write(frame(2, 'warn\n'));
    sink.end();
    await done;
    assert.equal(outText.join(''), Array.from({ length: 50 }, (_, i) => `line${i}\n`).join(''));
    assert.equal(errText.join(''), 'warn\n');
  });

  it('honours backpressure: a slow destination never holds more than one frame unwritten', async () => {
    // A destination that takes 1 ms per write and says "full" past 64 bytes. A demux that ignores
    // write() returning false (docker-modem's demuxStream) piles every frame into its buffer.
    const FRAME = 1024;
    const FRAMES = 200;
    const got: Buffer[] = [];
    let maxBuffered = 0;
    const slow = new Writable({
      highWaterMark: 64,
      write(chunk: Buffer, _e, cb) {
        maxBuffered = Math.max(maxBuffered, slow.writableLength);
        setTimeout(() => {
          got.push(chunk);
          cb();
        }, 1);
      },
    });
    const sink = demuxTo(slow, new PassThrough());
    const src = new PassThrough({ highWaterMark: 4 * FRAME });
    const body = 'x'.repeat(FRAME);
    let produced = 0;
    let srcPaused = false;
    const done = new Promise<void>((resolve, reject) => {
      sink.on('finish', resolve);
      sink.on('error', reject);
    });
    src.pipe(sink);
    // Write as fast as the source allows, watching what piles up in the destination.
    await new Promise<void>((resolve) => {
      const more = () => {
        while (produced < FRAMES) {
          produced++;
          maxBuffered = Math.max(maxBuffered, slow.writableLength);
          if (!src.write(frame(1, body))) {
            srcPaused = true;
            src.once('drain', more);
            return;
          }
        }
        resolve();
      };
      more();
    });
    src.end();
    await done;
    await new Promise<void>((r) => (slow.writableLength === 0 ? r() : slow.once('drain', () => r())));
    assert.equal(Buffer.concat(got).length, FRAME * FRAMES, 'every byte arrives');
    assert.ok(maxBuffered <= FRAME, `at most one frame waits in the slow destination (saw ${maxBuffered} bytes)`);
    assert.ok(srcPaused, 'the source was told to wait');
  });
});
