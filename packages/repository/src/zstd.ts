/**
 * zstd for blobs and for index/snapshot/lock files (repository v2). Node >= 22.15 (the sidecar
 * image) has it in zlib; Node 20 (a host) has not, so there it comes from zstd-napi, loaded only
 * then. Both produce standard frames, which is all restic needs.
 */
import { createRequire } from 'node:module';
import * as zlib from 'node:zlib';
import { CorruptRepositoryError } from './errors.js';

export interface Zstd {
  compress(data: Uint8Array): Buffer;
  /** Decompress; `expected` (when known) bounds the output and must match its length. */
  decompress(data: Uint8Array, expected?: number): Buffer;
}

type ZlibZstd = {
  zstdCompressSync?: (b: Uint8Array, o?: object) => Buffer;
  zstdDecompressSync?: (b: Uint8Array, o?: object) => Buffer;
  constants: { ZSTD_c_compressionLevel?: number };
};

const LEVEL = 3; // restic's "auto" mode is zstd's default level

let cached: Zstd | undefined;
export function zstd(): Zstd {
  if (cached) return cached;
  const z = zlib as unknown as ZlibZstd;
  if (z.zstdCompressSync && z.zstdDecompressSync) {
    const c = z.zstdCompressSync;
    const d = z.zstdDecompressSync;
    const lvl = z.constants.ZSTD_c_compressionLevel ?? 100;
    cached = {
      compress: (b) => c(b, { params: { [lvl]: LEVEL } }),
      decompress: (b, expected) => d(b, expected === undefined ? {} : { maxOutputLength: Math.max(expected, 1) }),
    };
  } else {
    const napi = createRequire(import.meta.url)('zstd-napi') as {
      compress(b: Uint8Array, p?: object): Buffer;
      decompress(b: Uint8Array): Buffer;
    };
    cached = { compress: (b) => napi.compress(b, { compressionLevel: LEVEL }), decompress: (b) => napi.decompress(b) };
  }
  return cached;
}

/** Decompress a blob and check its length against what the index says. */
export function decompressChecked(data: Uint8Array, expected: number, what: string): Buffer {
  let out: Buffer;
  try {
    out = zstd().decompress(data, expected);
  } catch (err) {
    throw new CorruptRepositoryError(`${what}: does not decompress (${(err as Error).message})`, { cause: err });
  }
  if (out.length !== expected) throw new CorruptRepositoryError(`${what}: decompresses to ${out.length} bytes, the index says ${expected}`);
  return out;
}
