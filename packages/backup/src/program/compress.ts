/**
 * Compression in independent blocks, several on the thread pool at once: the output is a valid
 * multi-member gzip file or multi-frame zstd file (gunzip, zstd -d and tar read them as one stream),
 * and a volume compresses on every core while the main thread walks and reads files. Memory is
 * bounded by blockSize x (concurrency + 1).
 */
import { availableParallelism } from 'node:os';
import type { Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import type { Compression } from '../model.js';

type Z = typeof zlib & {
  zstdCompress?: (buf: Buffer, opts: object, cb: (err: Error | null, out: Buffer) => void) => void;
  createZstdDecompress?: (opts?: object) => Transform;
  constants: typeof zlib.constants & { ZSTD_c_compressionLevel?: number };
};
const z = zlib as Z;

export function zstdAvailable(): boolean {
  return typeof z.zstdCompress === 'function' && typeof z.createZstdDecompress === 'function';
}

export function compressBlock(buf: Buffer, algo: Compression, level: number | null): Promise<Buffer> {
  if (algo === 'none') return Promise.resolve(buf);
  return new Promise((resolve, reject) => {
    const cb = (err: Error | null, out: Buffer) => (err ? reject(err) : resolve(out));
    if (algo === 'gzip') zlib.gzip(buf, { level: level ?? 6 }, cb);
    else {
      if (!z.zstdCompress) return reject(new Error('this Node.js has no zstd (needs >= 22.15)'));
      z.zstdCompress(buf, { params: { [z.constants.ZSTD_c_compressionLevel ?? 100]: level ?? 3 } }, cb);
    }
  });
}

export interface CompressOptions {
  blockSize?: number;
  concurrency?: number;
}

/** Compress an async stream of chunks into an async stream of compressed blocks, in order. */
export async function* compressStream(
  source: AsyncIterable<Buffer | Uint8Array>,
  algo: Compression,
  level: number | null,
  opts: CompressOptions = {},
): AsyncGenerator<Buffer> {
  if (algo === 'none') {
    for await (const c of source) yield Buffer.isBuffer(c) ? c : Buffer.from(c);
    return;
  }
  const blockSize = opts.blockSize ?? 4 * 1024 * 1024;
  const concurrency = opts.concurrency ?? Math.max(2, Math.min(availableParallelism(), 4));
  const pending: Array<Promise<Buffer>> = [];
  let parts: Buffer[] = [];
  let size = 0;
  const submit = () => {
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

/**
 * Length of the zstd frame (or skippable frame) at the start of `b`, or undefined when more bytes
 * are needed. Walks the frame header and block headers (RFC 8878) without decompressing.
 */
export function zstdFrameLength(b: Buffer): number | undefined {
  if (b.length < 4) return undefined;
  const magic = b.readUInt32LE(0);
  if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) return b.length < 8 ? undefined : 8 + b.readUInt32LE(4);
  if (magic !== 0xfd2fb528) throw new Error('not a zstd frame (bad magic number)');
  if (b.length < 5) return undefined;
  const fhd = b[4] as number;
  const single = (fhd >> 5) & 1;
  if (fhd & 0x08) throw new Error('bad zstd frame header (reserved bit set)');
  let p = 5 + (single ? 0 : 1) + ([0, 1, 2, 4][fhd & 3] as number) + ([single ? 1 : 0, 2, 4, 8][fhd >> 6] as number);
  for (;;) {
    if (b.length < p + 3) return undefined;
    const bh = (b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16);
    const type = (bh >> 1) & 3;
    if (type === 3) throw new Error('bad zstd block (reserved type)');
    p += 3 + (type === 1 ? 1 : bh >>> 3);
    if (bh & 1) break;
  }
  p += (fhd >> 2) & 1 ? 4 : 0;
  return b.length >= p ? p : undefined;
}

function zstdDecompressFrame(frame: Buffer): Promise<Buffer> {
  const zz = z as Z & { zstdDecompress?: (b: Buffer, cb: (err: Error | null, out: Buffer) => void) => void };
  return new Promise((resolve, reject) => {
    if (!zz.zstdDecompress) return reject(new Error('this Node.js has no zstd (needs >= 22.15)'));
    zz.zstdDecompress(frame, (err, out) => (err ? reject(err) : resolve(out)));
  });
}

/**
 * Decompress a stream of concatenated zstd frames (Node's streaming zstd decoder stops after the
 * first frame), several frames on the thread pool at once, in order. Frames larger than
 * `maxFrame` are refused: dockside writes 4 MiB blocks, so this bounds memory.
 */
export async function* zstdDecompressStream(source: AsyncIterable<Buffer | Uint8Array>, maxFrame = 256 * 1024 * 1024): AsyncGenerator<Buffer> {
  const concurrency = Math.max(2, Math.min(availableParallelism(), 4));
  const pending: Array<Promise<Buffer>> = [];
  let buf = Buffer.alloc(0);
  for await (const chunk of source) {
    buf = buf.length ? Buffer.concat([buf, chunk]) : Buffer.from(chunk);
    for (;;) {
      const len = zstdFrameLength(buf);
      if (len === undefined) {
        if (buf.length > maxFrame) throw new Error(`zstd frame larger than ${maxFrame} bytes`);
        break;
      }
      const frame = buf.subarray(0, len);
      buf = buf.subarray(len);
      if (frame.readUInt32LE(0) === 0xfd2fb528) {
        const p = zstdDecompressFrame(Buffer.from(frame));
        p.catch(() => undefined);
        pending.push(p);
      }
      while (pending.length >= concurrency) yield await (pending.shift() as Promise<Buffer>);
    }
  }
  if (buf.length > 0) throw new Error('unexpected end of zstd data (truncated archive)');
  while (pending.length) yield await (pending.shift() as Promise<Buffer>);
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
