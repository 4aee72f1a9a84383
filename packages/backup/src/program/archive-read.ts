/** Reading an archive back: end to end against its manifest's size and sha256, or streamed through them (and the dump-out job). */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UserError } from '@dockside/common';
import { CorruptArchiveError } from '../errors.js';
import { type DumpOutJob, type Compression } from '../model.js';
import type { Destination } from '../destination/destination.js';
import { decompressStream } from './compress.js';
import { BYTES } from './job-events.js';

/** Read an archive end to end and compare its size and sha256 with the manifest. */
export async function checkArchive(destination: Destination, id: string, a: { file: string; sha256: string; bytes: number }): Promise<void> {
  const hash = createHash('sha256');
  let n = 0;
  const src = await destination.readStream(id, a.file);
  for await (const c of src as AsyncIterable<Buffer>) {
    hash.update(c);
    n += c.length;
  }
  const sum = hash.digest('hex');
  if (n !== a.bytes) throw new CorruptArchiveError(`archive ${id}/${a.file} is ${n} bytes, the manifest says ${a.bytes}: truncated or replaced`);
  if (sum !== a.sha256) throw new CorruptArchiveError(`archive ${id}/${a.file} fails its sha256 check (corrupt or altered)`);
}

/** Stream an archive through sha256 and decompression; the checksum is compared at the end. */
export async function openChecked(destination: Destination, id: string, a: { file: string; sha256: string; bytes: number }, c: Compression, verified = false) {
  const hash = createHash('sha256');
  let n = 0;
  const src = await destination.readStream(id, a.file);
  // An archive a verify pass just hashed through a stable destination (one open descriptor) is not
  // hashed again: count bytes only. Otherwise (S3, or no verify pass) hash as it streams.
  const rehash = !(verified && destination.stable);
  async function* hashed() {
    for await (const chunk of src as AsyncIterable<Buffer>) {
      if (rehash) hash.update(chunk);
      n += chunk.length;
      yield chunk;
    }
  }
  const stream = Readable.from(decompressStream(hashed(), c), BYTES);
  const check = () => {
    if (n !== a.bytes || (rehash && hash.digest('hex') !== a.sha256))
      throw new CorruptArchiveError(`archive ${id}/${a.file} fails its sha256 check (corrupt, truncated or altered); nothing was changed`);
  };
  const wrap = (err: unknown) =>
    err instanceof UserError ? err : new CorruptArchiveError(`archive ${id}/${a.file} cannot be read (corrupt or truncated): ${(err as Error).message}`, { cause: err });
  return { stream, check, wrap };
}

export async function dumpArchive(job: DumpOutJob, destination: Destination): Promise<void> {
  await destination.checkReadable();
  await checkArchive(destination, job.id, job.archive);
  const o = await openChecked(destination, job.id, job.archive, job.compression, true);
  await pipeline(o.stream, process.stdout).catch((err) => {
    throw o.wrap(err);
  });
  o.check();
}
