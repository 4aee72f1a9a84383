/**
 * Reads a regular file and cuts it into restic's chunks. With SEEK_DATA/SEEK_HOLE, holes are not
 * read: their zeros are produced in memory (the chunker still has to see them so the cut points,
 * hence the blob ids, are restic's; a hole's chunks are all the same zero blob and dedupe).
 */
import type { FileHandle } from 'node:fs/promises';
import { Chunker } from './chunker.js';
import type { FsExtras } from './fs-extras.js';

// Large reads: most chunks (1 MiB on average) then lie inside one buffer and need no copy.
const READ_SIZE = 4 * 1024 * 1024;
/** Zeros for holes, never written to: chunks may share it. One for all files (allocating it per file was most of a backup's time). */
let ZEROS: Buffer | undefined;

/** Data ranges [start, end) of a file, from SEEK_DATA/SEEK_HOLE; the whole file without them. */
function dataRanges(fd: number, size: number, fsx: FsExtras | undefined): Array<[number, number]> {
  if (!fsx || size === 0) return [[0, size]];
  const out: Array<[number, number]> = [];
  let off = 0;
  try {
    while (off < size) {
      const d = fsx.seekData(fd, off);
      if (d < 0 || d >= size) break;
      const h = Math.min(fsx.seekHole(fd, d), size);
      out.push([d, h]);
      off = h;
    }
  } catch {
    return [[0, size]]; // a file system without SEEK_DATA
  }
  return out;
}

/**
 * Yields the file's chunks in order. `size` is the size from lstat; a file that grows meanwhile is
 * read up to that size, one that shrinks ends early (restic does the same: what was read is saved).
 */
export async function* chunks(fh: FileHandle, size: number, chunker: Chunker, fsx: FsExtras | undefined, counter?: { readBytes: number }): AsyncGenerator<Buffer> {
  chunker.reset();
  const ranges = dataRanges(fh.fd, size, fsx);
  let parts: Buffer[] = [];
  let pos = 0;
  let ri = 0;
  while (pos < size) {
    while (ri < ranges.length && (ranges[ri] as [number, number])[1] <= pos) ri++;
    const r = ranges[ri];
    let buf: Buffer;
    if (!r || pos < r[0]) {
      // in a hole: zeros up to the next data (or the end)
      const n = Math.min(READ_SIZE, (r ? r[0] : size) - pos);
      ZEROS ??= Buffer.alloc(READ_SIZE);
      buf = ZEROS.subarray(0, n);
    } else {
      const n = Math.min(READ_SIZE, r[1] - pos);
      buf = Buffer.allocUnsafe(n);
      let got = 0;
      while (got < n) {
        const { bytesRead } = await fh.read(buf, got, n - got, pos + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      if (counter) counter.readBytes += got;
      if (got < n) {
        buf = buf.subarray(0, got);
        size = pos + got; // the file shrank
      }
    }
    pos += buf.length;
    let start = 0;
    for (;;) {
      const cut = chunker.next(buf, start);
      if (cut < 0) {
        if (start < buf.length) parts.push(buf.subarray(start));
        break;
      }
      parts.push(buf.subarray(start, cut));
      yield parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
      parts = [];
      start = cut;
    }
    if (buf.length === 0) break;
  }
  if (parts.length) yield Buffer.concat(parts);
}
