/**
 * Demultiplexing of a non-TTY attach/logs stream: frames of an 8-byte header (stream type, 3 zero
 * bytes, big-endian payload length) and the payload. Unlike docker-modem's demuxStream this honours
 * backpressure: the writable does not ask for more input until both destinations have drained.
 */
import { Writable } from 'node:stream';

export const STREAM_STDIN = 0;
export const STREAM_STDOUT = 1;
export const STREAM_STDERR = 2;

/** Incremental frame parser; pure, holds at most one partial frame. */
export class FrameParser {
  private buf: Buffer = Buffer.alloc(0);

  /** Feed bytes; returns the complete frames they finish. */
  push(chunk: Buffer): Array<{ stream: number; payload: Buffer }> {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Array<{ stream: number; payload: Buffer }> = [];
    while (this.buf.length >= 8) {
      const stream = this.buf[0] ?? 0;
      const size = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + size) break;
      out.push({ stream, payload: this.buf.subarray(8, 8 + size) });
      this.buf = this.buf.subarray(8 + size);
    }
    return out;
  }

  /** Bytes held back waiting for the rest of a frame. */
  get pending(): number {
    return this.buf.length;
  }
}

function writeAll(dest: NodeJS.WritableStream, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const ok = dest.write(data, (err) => (err ? reject(err) : undefined));
    if (ok) resolve();
    else dest.once('drain', resolve);
  });
}

/** A writable that demuxes into `stdout` and `stderr`, with backpressure. */
export function demuxTo(stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): Writable {
  const parser = new FrameParser();
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      const frames = parser.push(chunk);
      (async () => {
        for (const f of frames) {
          if (f.payload.length === 0) continue;
          await writeAll(f.stream === STREAM_STDERR ? stderr : stdout, f.payload);
        }
      })().then(() => cb(), cb);
    },
  });
}
