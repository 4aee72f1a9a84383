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

export function decompressor(algo: Compression): Transform | undefined {
  if (algo === 'gzip') return zlib.createGunzip({ chunkSize: 256 * 1024 });
  if (algo === 'zstd') {
    if (!z.createZstdDecompress) throw new Error('this Node.js has no zstd (needs >= 22.15)');
    return z.createZstdDecompress({ chunkSize: 256 * 1024 });
  }
  return undefined;
}
