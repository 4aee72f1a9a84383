/**
 * Throughput of the repository's core on this machine (one core each, nothing else in parallel):
 *   node --conditions=@dockside/source --import tsx packages/repository/bench/core.ts [MiB]
 * chunker, seal (AES-256-CTR + Poly1305-AES), open (MAC check + decrypt), SHA-256, zstd.
 */
import { randomBytes } from 'node:crypto';
import { Chunker, chunkerTables } from '../src/chunker.js';
import { open, randomKey, seal, sha256 } from '../src/crypto.js';
import { zstd } from '../src/zstd.js';

const mib = Number(process.argv[2] ?? 64);
const data = randomBytes(mib * 1024 * 1024);
const text = Buffer.from('the quick brown fox jumps over the lazy dog 0123456789\n'.repeat(Math.ceil(data.length / 55))).subarray(0, data.length);
const blob = 1024 * 1024;

function rate(name: string, bytes: number, f: () => void): void {
  f(); // warm up
  const t = process.hrtime.bigint();
  f();
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  console.log(`${name.padEnd(34)} ${(bytes / 1024 / 1024 / s).toFixed(0).padStart(6)} MiB/s`);
}

const tables = chunkerTables(0x3da3358b4dc173n);
rate('chunker (JS, 1 MiB reads)', data.length, () => {
  const c = new Chunker(tables);
  for (let off = 0; off < data.length; off += blob) {
    const b = data.subarray(off, off + blob);
    for (let from = 0, at: number; (at = c.next(b, from)) > 0; from = at);
  }
});
const key = randomKey();
const sealed: Buffer[] = [];
rate('seal 1 MiB blobs', data.length, () => {
  sealed.length = 0;
  for (let off = 0; off < data.length; off += blob) sealed.push(seal(key, data.subarray(off, off + blob)));
});
rate('open 1 MiB blobs (MAC + decrypt)', data.length, () => {
  for (const s of sealed) open(key, s, 'bench');
});
rate('sha256 1 MiB blobs', data.length, () => {
  for (let off = 0; off < data.length; off += blob) sha256(data.subarray(off, off + blob));
});
const z = zstd();
rate('zstd -3 compress, random', data.length, () => {
  for (let off = 0; off < data.length; off += blob) z.compress(data.subarray(off, off + blob));
});
const zs: Buffer[] = [];
rate('zstd -3 compress, text', text.length, () => {
  zs.length = 0;
  for (let off = 0; off < text.length; off += blob) zs.push(z.compress(text.subarray(off, off + blob)));
});
rate('zstd decompress, text', text.length, () => {
  for (const c of zs) z.decompress(c, blob);
});
