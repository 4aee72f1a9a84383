/**
 * Sparse files in the PAX sparse format 1.0 (GNU.sparse.major=1, minor=0, GNU.sparse.name,
 * GNU.sparse.realsize; the map at the start of the entry's data: the count, then offset and length
 * of each data segment, one decimal number a line, padded to 512 bytes; then the segments' bytes).
 * GNU tar and bsdtar extract it as a sparse file. Holes are found with SEEK_DATA/SEEK_HOLE, so a
 * 9 GiB file with 3 bytes of data costs a few syscalls, not 9 GiB of reads; they are recreated by
 * writing each segment at its offset and setting the size (the gaps stay unallocated).
 */
import * as fs from 'node:fs';
import type { Pack } from 'tar-stream';
import { ArchiveFormatError } from '../errors.js';
import type { Fsx } from './fsx.js';
import { entryWriter, writePax, type WriteHeader } from './pax.js';

export type Segment = [offset: number, length: number];

const CHUNK = 1024 * 1024;
/** Files smaller than this are archived dense: the map would cost more than the holes save. */
const MIN_SPARSE = 64 * 1024;

/** The data segments of a file that has holes, or undefined when it is dense (or holes cannot be found). */
export function dataSegments(fsx: Fsx | null, fd: number, st: fs.BigIntStats): Segment[] | undefined {
  const size = Number(st.size);
  if (!fsx || size < MIN_SPARSE || Number(st.blocks) * 512 >= size) return undefined;
  const segs: Segment[] = [];
  let off = 0;
  try {
    while (off < size) {
      const d = fsx.seekData(fd, off);
      if (d < 0 || d >= size) break;
      let h = fsx.seekHole(fd, d);
      if (h < 0 || h > size) h = size;
      segs.push([d, h - d]);
      off = h;
    }
  } catch {
    return zeroRunSegments(fd, size); // EINVAL/ENOTSUP: this file system cannot tell
  }
  const data = segs.reduce((n, s) => n + s[1], 0);
  // Far fewer blocks than the size needs, yet the file system reports no hole: it lacks SEEK_HOLE
  // (its generic fallback calls the whole file data). Find the holes as runs of zero blocks. Only
  // when under 1/8 is allocated: a compressing file system (btrfs, ZFS) also shows fewer blocks,
  // and rereading every compressed file would be costly.
  if (data >= size) return Number(st.blocks) * 512 < size / 8 ? zeroRunSegments(fd, size) : undefined;
  return segs;
}

const BLOCK = 4096;
const ZERO = Buffer.alloc(BLOCK);

/**
 * Data segments as the runs of blocks that are not all zeros (read once; a hole reads as zeros
 * without touching the disk). Undefined when there is no zero block.
 */
export function zeroRunSegments(fd: number, size: number): Segment[] | undefined {
  const segs: Segment[] = [];
  const buf = Buffer.allocUnsafe(CHUNK);
  let start = -1;
  let pos = 0;
  while (pos < size) {
    const r = fs.readSync(fd, buf, 0, Math.min(CHUNK, size - pos), pos);
    if (r === 0) break;
    for (let off = 0; off < r; off += BLOCK) {
      const end = Math.min(off + BLOCK, r);
      const zero = buf.compare(ZERO, 0, end - off, off, end) === 0;
      if (!zero && start < 0) start = pos + off;
      if (zero && start >= 0) {
        segs.push([start, pos + off - start]);
        start = -1;
      }
    }
    pos += r;
  }
  if (start >= 0) segs.push([start, pos - start]);
  const data = segs.reduce((n, s) => n + s[1], 0);
  return data < size ? segs : undefined;
}

/** The map block: count, then offset/length pairs; a final zero-length segment at the real size when the file ends in a hole. */
export function mapBlock(segs: Segment[], realSize: number): Buffer {
  const all = [...segs];
  const last = all[all.length - 1];
  if (!last || last[0] + last[1] < realSize) all.push([realSize, 0]);
  const text = `${all.length}\n${all.map(([o, l]) => `${o}\n${l}\n`).join('')}`;
  const pad = (512 - (text.length % 512)) % 512;
  return Buffer.concat([Buffer.from(text, 'latin1'), Buffer.alloc(pad)]);
}

/** Write one sparse file entry (PAX block, map, data segments). Returns the data bytes read. */
export async function writeSparse(pack: Pack, fd: number, base: WriteHeader, realSize: number, segs: Segment[], warn: (m: string) => void): Promise<number> {
  const map = mapBlock(segs, realSize);
  const data = segs.reduce((n, s) => n + s[1], 0);
  const header = writePax(pack, {
    ...base,
    type: 'file',
    size: map.length + data,
    pax: { ...base.pax, 'GNU.sparse.major': '1', 'GNU.sparse.minor': '0', 'GNU.sparse.name': base.name, 'GNU.sparse.realsize': String(realSize) },
  });
  const sink = entryWriter(pack, header);
  const write = (b: Buffer) => sink.write(b);
  await write(map);
  let short = false;
  for (const [off, len] of segs) {
    let pos = off;
    while (pos < off + len) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, off + len - pos));
      const r = short ? 0 : fs.readSync(fd, buf, 0, buf.length, pos);
      if (r === 0) {
        if (!short) warn(`${base.name}: shrank while being read; padded with zeros`);
        short = true;
        buf.fill(0);
      }
      const n = r || buf.length;
      pos += n;
      await write(n === buf.length ? buf : buf.subarray(0, n));
    }
  }
  await sink.end();
  return data;
}

/**
 * Restores a sparse entry: parses the map from the head of the entry's data, then writes each
 * segment's bytes at its offset. `finish` sets the real size (a trailing hole).
 */
export class SparseRestorer {
  private head: Buffer | undefined = Buffer.alloc(0);
  private segs: Segment[] = [];
  private seg = 0;
  private pos = 0;
  private skip = 0;

  constructor(
    private readonly fd: number,
    private readonly realSize: number,
  ) {}

  /** Feed the next chunk of the entry's data (fd < 0: parse only). */
  write(chunk: Buffer): void {
    let c = chunk;
    if (this.head) {
      this.head = Buffer.concat([this.head, c]);
      const parsed = parseMap(this.head);
      if (!parsed) {
        if (this.head.length > 16 * 1024 * 1024) throw new ArchiveFormatError('sparse map is too large or malformed');
        return;
      }
      this.segs = parsed.segs;
      c = this.head.subarray(parsed.length);
      this.head = undefined;
      this.pos = this.segs[0]?.[0] ?? 0;
    }
    while (c.length) {
      const s = this.segs[this.seg];
      if (!s) throw new ArchiveFormatError('sparse entry holds more data than its map');
      const left = s[0] + s[1] - this.pos;
      if (left <= 0) {
        this.seg++;
        this.pos = this.segs[this.seg]?.[0] ?? 0;
        continue;
      }
      const n = Math.min(left, c.length);
      if (this.fd >= 0) {
        let w = 0;
        while (w < n) w += fs.writeSync(this.fd, c, w, n - w, this.pos + w);
      }
      this.pos += n;
      this.skip += n;
      c = c.subarray(n);
    }
  }

  finish(): void {
    if (this.head) throw new ArchiveFormatError('sparse entry ends inside its map');
    const want = this.segs.reduce((n, s) => n + s[1], 0);
    if (this.skip !== want) throw new ArchiveFormatError(`sparse entry holds ${this.skip} data bytes, its map says ${want}`);
    if (this.fd >= 0) fs.ftruncateSync(this.fd, this.realSize);
  }
}

/** Map and its padded length, or undefined while more bytes are needed. */
export function parseMap(buf: Buffer): { segs: Segment[]; length: number } | undefined {
  const nums: number[] = [];
  let start = 0;
  let count = -1;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] !== 0x0a) continue;
    const text = buf.toString('latin1', start, i);
    if (!/^\d+$/.test(text)) throw new ArchiveFormatError('malformed sparse map');
    start = i + 1;
    if (count < 0) count = Number(text);
    else nums.push(Number(text));
    if (count >= 0 && nums.length === count * 2) {
      const length = Math.ceil(start / 512) * 512;
      if (buf.length < length) return undefined;
      const segs: Segment[] = [];
      for (let j = 0; j < nums.length; j += 2) segs.push([nums[j] as number, nums[j + 1] as number]);
      return { segs, length };
    }
  }
  return undefined;
}
