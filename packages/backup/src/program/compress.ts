/**
 * Compression for archives. gzip is slow per core, so it is done in independent blocks, several on
 * the thread pool at once: the output is a valid multi-member gzip file (gunzip and tar read it as
 * one stream) and a volume compresses on every core while the main thread walks and reads files;
 * memory is bounded by blockSize x (concurrency + 1). zstd is fast enough on one thread: one
 * streaming frame, on the thread pool while the main thread reads. Reading accepts concatenated
 * zstd frames too (Node's streaming decoder stops after the first one, so frames are delimited here).
 */
import { availableParallelism } from 'node:os';
import type { Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import { ImageMissingError } from '@dockside/common';
import { ArchiveFormatError } from '../errors.js';
import type { Compression } from '../model.js';

type Z = typeof zlib & {
  zstdCompress?: (buf: Buffer, opts: object, cb: (err: Error | null, out: Buffer) => void) => void;
  createZstdDecompress?: (opts?: object) => Transform;
  constants: typeof zlib.constants & { ZSTD_c_compressionLevel?: number };
};
const z = zlib as Z;

/**
 * Buffers are allocated outside the V8 heap and V8 collects them late (after ~64 MiB of garbage).
 * The image runs node with --expose-gc; a collection every `every` bytes keeps the sidecar's memory
 * flat whatever the volume's size. Costs a few ms each time on a small heap.
 */
export function gcEvery(every = 16 * 1024 * 1024): (bytes: number) => void {
  const gc = (globalThis as { gc?: () => void }).gc;
  let since = 0;
  return (bytes) => {
    since += bytes;
    if (gc && since >= every) {
      since = 0;
      gc();
    }
  };
}

/** The sidecar's Node.js lacks zstd: its image is wrong (the backup image's Node has it). */
const noZstd = () => new ImageMissingError('this Node.js has no zstd (needs >= 22.15)', { hint: 'rebuild the backup image: `dockside images build --only backup --force`' });

export function zstdAvailable(): boolean {
  return typeof z.zstdCompress === 'function' && typeof z.createZstdDecompress === 'function';
}

export function compressBlock(buf: Buffer, algo: Compression, level: number | null): Promise<Buffer> {
  if (algo === 'none') return Promise.resolve(buf);
  return new Promise((resolve, reject) => {
    const cb = (err: Error | null, out: Buffer) => (err ? reject(err) : resolve(out));
    // Large output chunks: fewer intermediate buffers to concatenate and collect.
    const chunkSize = Math.min(Math.max(buf.length, 64 * 1024), 1024 * 1024);
    if (algo === 'gzip') zlib.gzip(buf, { level: level ?? 6, chunkSize }, cb);
    else {
      if (!z.zstdCompress) return reject(noZstd());
      z.zstdCompress(buf, { chunkSize, params: { [z.constants.ZSTD_c_compressionLevel ?? 100]: level ?? 3 } }, cb);
    }
  });
}

export interface CompressOptions {
  blockSize?: number;
  concurrency?: number;
}

/** Compress an async stream of chunks into an async stream of compressed blocks, in order. */
export async function* compressStream(source: AsyncIterable<Buffer | Uint8Array>, algo: Compression, level: number | null, opts: CompressOptions = {}): AsyncGenerator<Buffer> {
  if (algo === 'none') {
    for await (const c of source) yield Buffer.isBuffer(c) ? c : Buffer.from(c);
    return;
  }
  if (algo === 'zstd') {
    yield* zstdCompressStream(source, level);
    return;
  }
  const blockSize = opts.blockSize ?? 2 * 1024 * 1024;
  const concurrency = opts.concurrency ?? Math.max(2, Math.min(availableParallelism(), 4));
  const pending: Array<Promise<Buffer>> = [];
  let parts: Buffer[] = [];
  let size = 0;
  const collect = gcEvery();
  const submit = () => {
    collect(size);
    const p = compressBlock(Buffer.concat(parts, size), algo, level);
    p.catch(() => undefined);
    pending.push(p);
    parts = [];
    size = 0;
  };
  for await (const chunk of source) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    parts.push(b);
    size += b.length;
    if (size >= blockSize) {
      submit();
      while (pending.length >= concurrency) yield await (pending.shift() as Promise<Buffer>);
    }
  }
  if (size > 0 || pending.length === 0) submit();
  while (pending.length) yield await (pending.shift() as Promise<Buffer>);
}

async function* throughTransform(source: AsyncIterable<Buffer | Uint8Array>, t: Transform): AsyncGenerator<Buffer> {
  const feeding = (async () => {
    try {
      for await (const c of source) if (!t.write(c)) await new Promise<void>((r) => t.once('drain', () => r()));
      t.end();
    } catch (err) {
      t.destroy(err as Error);
    }
  })();
  try {
    for await (const out of t as AsyncIterable<Buffer>) yield out;
    await feeding;
  } finally {
    // On an early exit the feeder may wait for a 'drain' that never comes: it holds nothing.
    if (!t.destroyed) t.destroy();
  }
}

/** Coalesce small chunks (tar headers, small files) so each trip to the thread pool carries ~1 MiB. */
export async function* coalesce(source: AsyncIterable<Buffer | Uint8Array>, size = 1024 * 1024): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let n = 0;
  for await (const c of source) {
    const b = Buffer.isBuffer(c) ? c : Buffer.from(c);
    if (n === 0 && b.length >= size) {
      yield b;
      continue;
    }
    parts.push(b);
    n += b.length;
    if (n >= size) {
      yield Buffer.concat(parts, n);
      parts = [];
      n = 0;
    }
  }
  if (n > 0) yield Buffer.concat(parts, n);
}

async function* zstdCompressStream(source: AsyncIterable<Buffer | Uint8Array>, level: number | null): AsyncGenerator<Buffer> {
  const zc = z as Z & { createZstdCompress?: (o: object) => Transform };
  if (!zc.createZstdCompress) throw noZstd();
  const collect = gcEvery();
  async function* counted() {
    for await (const b of coalesce(source)) {
      collect(b.length);
      yield b;
    }
  }
  yield* throughTransform(counted(), zc.createZstdCompress({ chunkSize: 1024 * 1024, params: { [z.constants.ZSTD_c_compressionLevel ?? 100]: level ?? 3 } }));
}

/**
 * Splits a zstd byte stream at frame boundaries without buffering frames: walks frame and block
 * headers (RFC 8878) as bytes pass, and says how many of the next bytes belong to the current frame.
 */
export class ZstdFrameTracker {
  private carry = Buffer.alloc(0);
  private skip = 0;
  private state: 'magic' | 'skipsize' | 'fhd' | 'block' | 'end' = 'magic';
  private last = false;
  private checksum = false;
  /** True while inside a data frame (as opposed to a skippable one). */
  dataFrame = false;

  /**
   * Consume bytes from `b` starting at `off`; returns [bytes consumed, frameEnded]. Stops right
   * after a frame ends so the caller can switch decoders.
   */
  feed(b: Buffer, off: number): [number, boolean] {
    let p = off;
    const need = (n: number): Buffer | undefined => {
      const take = Math.min(n - this.carry.length, b.length - p);
      this.carry = Buffer.concat([this.carry, b.subarray(p, p + take)]);
      p += take;
      if (this.carry.length < n) return undefined;
      const h = this.carry;
      this.carry = Buffer.alloc(0);
      return h;
    };
    while (p < b.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, b.length - p);
        this.skip -= n;
        p += n;
        if (this.skip > 0) break;
        if (this.state === 'end') {
          this.state = 'magic';
          return [p - off, true];
        }
        continue;
      }
      if (this.state === 'magic') {
        const h = need(4);
        if (!h) break;
        const magic = h.readUInt32LE(0);
        if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) {
          this.dataFrame = false;
          this.state = 'skipsize';
        } else if (magic === 0xfd2fb528) {
          this.dataFrame = true;
          this.state = 'fhd';
        } else throw new ArchiveFormatError('not a zstd frame (bad magic number)');
      } else if (this.state === 'skipsize') {
        const h = need(4);
        if (!h) break;
        this.skip = h.readUInt32LE(0);
        this.state = 'end';
        if (this.skip === 0) {
          this.state = 'magic';
          return [p - off, true];
        }
      } else if (this.state === 'fhd') {
        const h = need(1);
        if (!h) break;
        const fhd = h[0] as number;
        if (fhd & 0x08) throw new ArchiveFormatError('bad zstd frame header (reserved bit set)');
        const single = (fhd >> 5) & 1;
        this.checksum = ((fhd >> 2) & 1) === 1;
        this.skip = (single ? 0 : 1) + ([0, 1, 2, 4][fhd & 3] as number) + ([single ? 1 : 0, 2, 4, 8][fhd >> 6] as number);
        this.state = 'block';
        this.last = false;
      } else if (this.state === 'block') {
        if (this.last) {
          this.state = 'end';
          this.skip = this.checksum ? 4 : 0;
          if (this.skip === 0) {
            this.state = 'magic';
            return [p - off, true];
          }
          continue;
        }
        const h = need(3);
        if (!h) break;
        const bh = (h[0] as number) | ((h[1] as number) << 8) | ((h[2] as number) << 16);
        const type = (bh >> 1) & 3;
        if (type === 3) throw new ArchiveFormatError('bad zstd block (reserved type)');
        this.last = (bh & 1) === 1;
        this.skip = type === 1 ? 1 : bh >>> 3;
        if (this.skip === 0 && this.last) continue;
      }
    }
    if (this.last && this.skip === 0 && this.state === 'block' && p === b.length) {
      // The last block ended exactly at the end of this chunk: settle the frame end now.
      this.state = 'end';
      this.skip = this.checksum ? 4 : 0;
      if (this.skip === 0) {
        this.state = 'magic';
        return [p - off, true];
      }
    }
    return [p - off, false];
  }

  /** True when the stream ended cleanly between frames. */
  get atBoundary(): boolean {
    return this.state === 'magic' && this.carry.length === 0 && this.skip === 0;
  }
}

/** Length of the zstd frame at the start of `b`, or undefined when more bytes are needed. */
export function zstdFrameLength(b: Buffer): number | undefined {
  const t = new ZstdFrameTracker();
  const [n, ended] = t.feed(b, 0);
  return ended ? n : undefined;
}

/**
 * Decompress concatenated zstd frames as a stream: one streaming decoder per frame, fed exactly
 * that frame's bytes (with backpressure), so memory stays bounded whatever the frame sizes.
 */
export async function* zstdDecompressStream(source: AsyncIterable<Buffer | Uint8Array>): AsyncGenerator<Buffer> {
  const create = z.createZstdDecompress;
  if (!create) throw noZstd();
  const it = source[Symbol.asyncIterator]();
  const tracker = new ZstdFrameTracker();
  // Decoded chunks are short-lived: collect less often than when compressing (GC showed ~10%).
  const collect = gcEvery(32 * 1024 * 1024);
  let pending = Buffer.alloc(0);
  let eof = false;
  /** Make `pending` hold at least `n` bytes unless the input ends. */
  const fill = async (n: number) => {
    while (!eof && pending.length < n) {
      const r = await it.next();
      if (r.done) eof = true;
      else pending = pending.length ? Buffer.concat([pending, r.value]) : Buffer.from(r.value);
    }
  };
  /** The bytes of the frame starting at `pending`, as they arrive; leaves the rest in `pending`. */
  async function* frameBytes(): AsyncGenerator<Buffer> {
    for (;;) {
      if (pending.length === 0) {
        await fill(1);
        if (pending.length === 0) throw new ArchiveFormatError('unexpected end of zstd data (truncated archive)');
      }
      const [n, ended] = tracker.feed(pending, 0);
      const part = pending.subarray(0, n);
      pending = pending.subarray(n);
      if (part.length) yield part;
      if (ended) return;
    }
  }
  for (;;) {
    await fill(8);
    if (pending.length === 0) return;
    if (pending.length < 8) throw new ArchiveFormatError('unexpected end of zstd data (truncated archive)');
    if (pending.readUInt32LE(0) === 0xfd2fb528) {
      for await (const out of throughTransform(frameBytes(), create({ chunkSize: 1024 * 1024 }))) {
        collect(out.length);
        yield out;
      }
    } else {
      for await (const _ of frameBytes()) void _;
    }
  }
}

/** Decompress an async stream of chunks; `none` passes through. */
export function decompressStream(source: AsyncIterable<Buffer>, algo: Compression): AsyncIterable<Buffer> {
  if (algo === 'zstd') return zstdDecompressStream(source);
  if (algo === 'none') return source;
  const gz = zlib.createGunzip({ chunkSize: 256 * 1024 });
  void (async () => {
    try {
      for await (const c of source) if (!gz.write(c)) await new Promise((r) => gz.once('drain', r));
      gz.end();
    } catch (err) {
      gz.destroy(err as Error);
    }
  })();
  return gz;
}
