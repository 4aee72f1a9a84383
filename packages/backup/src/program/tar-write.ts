/**
 * Walk one mount and write it into a tar-stream pack: regular files, directories (also empty),
 * symlinks, hard links, modes (setuid/setgid/sticky too), numeric owners and mtimes. Long names go
 * in PAX headers (tar-stream), sizes over 8 GiB in base-256. Names and link targets that are not
 * UTF-8 are kept byte for byte in a `DOCKSIDE.rawpath`/`DOCKSIDE.rawlinkpath` PAX record (with a
 * readable approximation in `path` for other tools). FIFOs and device nodes are archived as tar
 * carries them; sockets (which tar cannot carry) are reported, not archived. Reads use synchronous calls on purpose: this is the sidecar's only job on the main
 * thread, while compression runs on the thread pool.
 */
import { isUtf8 } from 'node:buffer';
import * as fs from 'node:fs';
import type { Pack } from 'tar-stream';
import type { EntryCounts, SkippedEntry } from '../model.js';
import { loadFsx } from './fsx.js';
import { encodeEntry, entryWriter, writePax, type WriteHeader as Headers } from './pax.js';
import { dataSegments, writeSparse } from './sparse.js';
import { mtimeOf, mtimeRecord } from './times.js';
import { readXattrs } from './xattrs.js';

export interface PackOptions {
  exclude: (rel: string) => boolean;
  /** Another mount at this path (a nested volume on the same file system): archived as an empty directory. */
  otherMount?: (rel: string) => boolean;
  onProgress?: (files: number, bytes: number) => void;
  /** Largest file read in one go; bigger ones are streamed. */
  smallFile?: number;
}

export interface PackStats {
  entries: EntryCounts;
  contentBytes: number;
  skipped: SkippedEntry[];
  skippedCount: number;
  warnings: string[];
  /** Files that changed, were replaced or deleted while read (GNU tar's "file changed as we read it"); `--strict` fails on them. */
  changed: string[];
  changedCount: number;
}

const SLASH = Buffer.from('/');
const CHUNK = 1024 * 1024;
/** Names the restore uses for its staging; never archived. */
export const RESERVED_ROOT = /^\.dockside-(restore|old)-/;

function typeOf(st: fs.BigIntStats): string {
  if (st.isSocket()) return 'socket';
  if (st.isFIFO()) return 'fifo';
  if (st.isCharacterDevice()) return 'character-device';
  if (st.isBlockDevice()) return 'block-device';
  return 'unknown';
}

function nameFields(rel: Buffer, key: 'path' | 'linkpath'): { text: string; pax?: Record<string, string> } {
  if (isUtf8(rel)) return { text: rel.toString('utf8') };
  return { text: rel.toString('utf8'), pax: { [`DOCKSIDE.raw${key}`]: rel.toString('base64') } };
}

/** A whole entry (PAX block, header, body) pushed in one piece; the caller throttles. */
async function entry(pack: Pack, h: Headers, body?: Buffer): Promise<void> {
  (pack as unknown as { push(b: Buffer): boolean }).push(encodeEntry(h, body));
}

/** Header-only entries are not flow-controlled by tar-stream: wait while its buffer is full. */
async function throttle(pack: Pack): Promise<void> {
  const state = (pack as unknown as { _readableState?: { buffered?: number } })._readableState;
  for (let i = 0; i < 100_000 && (state?.buffered ?? 0) > 8 * 1024 * 1024; i++) await new Promise((r) => setTimeout(r, 2));
}

export async function packTree(pack: Pack, root: string, opts: PackOptions): Promise<PackStats> {
  const stats: PackStats = { entries: { files: 0, dirs: 0, symlinks: 0, hardlinks: 0 }, contentBytes: 0, skipped: [], skippedCount: 0, warnings: [], changed: [], changedCount: 0 };
  const smallFile = opts.smallFile ?? CHUNK;
  const rootBuf = Buffer.from(root);
  const rootSt = fs.lstatSync(rootBuf, { bigint: true });
  const fsx = loadFsx();
  /** The header fields every entry has; sub-second mtimes in a PAX record. */
  const baseOf = (name: string, abs: Buffer, st: fs.BigIntStats, pax?: Record<string, string>): Headers => {
    const h: Headers = { name, mode: Number(st.mode), uid: Number(st.uid), gid: Number(st.gid), mtime: st.mtime };
    const t = mtimeRecord(mtimeOf(st));
    const x = readXattrs(fsx, abs, (m) => warn(`${name}: ${m}`));
    if (pax || t || x) h.pax = { ...pax, ...(t ? { mtime: t } : {}), ...x };
    return h;
  };
  const links = new Map<string, Buffer>();
  const warn = (m: string) => {
    if (stats.warnings.length < 100) stats.warnings.push(m);
  };
  /** A file read while it changed: a warning, and counted for --strict (once per file). */
  const changed = (rel: string, m: string) => {
    warn(`${rel}: ${m}`);
    stats.changedCount++;
    if (stats.changed.length < 100) stats.changed.push(rel);
  };
  if (!fsx) warn('the native addon is missing: sparse files archived dense, xattrs not archived');
  const skip = (path: string, type: string) => {
    stats.skippedCount++;
    if (stats.skipped.length < 100) stats.skipped.push({ path, type });
  };

  await entry(pack, { ...baseOf('.', rootBuf, rootSt), type: 'directory' });
  stats.entries.dirs++;
  // A directory's entry is written when its turn comes, right before its contents: GNU tar sets a
  // directory's times once an entry outside it follows, so contents must follow their directory.
  const stack: Array<{ dir: Buffer; header?: Headers }> = [{ dir: Buffer.alloc(0) }];
  while (stack.length) {
    const { dir, header: dirHeader } = stack.pop() as { dir: Buffer; header?: Headers };
    if (dirHeader) {
      await throttle(pack);
      await entry(pack, dirHeader);
      stats.entries.dirs++;
    }
    const absDir = dir.length ? Buffer.concat([rootBuf, SLASH, dir]) : rootBuf;
    let names: Buffer[];
    try {
      names = fs.readdirSync(absDir, { encoding: 'buffer' });
    } catch (err) {
      warn(`cannot read directory ${dir.toString() || '.'}: ${(err as NodeJS.ErrnoException).code}`);
      continue;
    }
    names.sort(Buffer.compare);
    const subdirs: Array<{ dir: Buffer; header: Headers }> = [];
    for (const name of names) {
      const rel = dir.length ? Buffer.concat([dir, SLASH, name]) : name;
      const relText = rel.toString('utf8');
      if (!dir.length && RESERVED_ROOT.test(relText)) continue;
      if (opts.exclude(relText)) continue;
      const abs = Buffer.concat([rootBuf, SLASH, rel]);
      let st: fs.BigIntStats;
      try {
        st = fs.lstatSync(abs, { bigint: true });
      } catch (err) {
        warn(`${relText}: vanished during the backup (${(err as NodeJS.ErrnoException).code})`);
        continue;
      }
      const n = nameFields(rel, 'path');
      const base = baseOf(n.text, abs, st, n.pax);
      if (st.isDirectory()) {
        if (st.dev === rootSt.dev && !opts.otherMount?.(relText)) {
          subdirs.push({ dir: rel, header: { ...base, type: 'directory' } });
          continue;
        }
        if (!opts.otherMount?.(relText)) warn(`${relText}: another file system is mounted here; archived as an empty directory`);
        await throttle(pack);
        await entry(pack, { ...base, type: 'directory' });
        stats.entries.dirs++;
        continue;
      }
      if (st.isSymbolicLink()) {
        let target: Buffer;
        try {
          target = fs.readlinkSync(abs, { encoding: 'buffer' });
        } catch (err) {
          warn(`${relText}: cannot read link (${(err as NodeJS.ErrnoException).code})`);
          continue;
        }
        const t = nameFields(target, 'linkpath');
        const h: Headers = { ...base, type: 'symlink', linkname: t.text };
        if (t.pax) h.pax = { ...h.pax, ...t.pax };
        await throttle(pack);
        await entry(pack, h);
        stats.entries.symlinks++;
        continue;
      }
      if (st.isFIFO() || st.isCharacterDevice() || st.isBlockDevice()) {
        // tar carries them (typeflags 6, 3, 4 with the device numbers); a restore makes them again.
        const rdev = st.rdev;
        const devmajor = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
        const devminor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
        const type = st.isFIFO() ? 'fifo' : st.isCharacterDevice() ? 'character-device' : 'block-device';
        await throttle(pack);
        await entry(pack, { ...base, type, ...(type === 'fifo' ? {} : { devmajor, devminor }) });
        continue;
      }
      if (!st.isFile()) {
        skip(relText, typeOf(st));
        continue;
      }
      if (st.nlink > 1n) {
        const key = `${st.dev}:${st.ino}`;
        const first = links.get(key);
        if (first) {
          const t = nameFields(first, 'linkpath');
          const h: Headers = { ...base, type: 'link', linkname: t.text, size: 0 };
          if (t.pax) h.pax = { ...h.pax, ...t.pax };
          await throttle(pack);
          await entry(pack, h);
          stats.entries.hardlinks++;
          continue;
        }
        links.set(key, rel);
      }
      let fd: number;
      try {
        fd = fs.openSync(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
      } catch (err) {
        warn(`${relText}: cannot open (${(err as NodeJS.ErrnoException).code}); not archived`);
        continue;
      }
      const size = Number(st.size);
      let fileChanged = false;
      const fileChange = (m: string) => {
        if (!fileChanged) changed(relText, m);
        fileChanged = true;
      };
      try {
        const opened = fs.fstatSync(fd, { bigint: true });
        if (opened.ino !== st.ino || opened.dev !== st.dev) fileChange("replaced while being read; archived the new file under the old one's header");
        const segs = dataSegments(fsx, fd, st);
        if (segs) {
          await throttle(pack);
          const n = await writeSparse(pack, fd, base, size, segs, (m) => fileChange(m.slice(m.indexOf(': ') + 2)));
          stats.contentBytes += n;
          stats.entries.files++;
          opts.onProgress?.(1, n);
          continue;
        }
        if (size <= smallFile) {
          const buf = Buffer.allocUnsafe(size + 1);
          let got = 0;
          for (;;) {
            const r = fs.readSync(fd, buf, got, buf.length - got, null);
            if (r === 0) break;
            got += r;
            if (got === buf.length) break;
          }
          if (got !== size) fileChange(`changed size while being read (${size} -> ${got > size ? 'more' : got} bytes)`);
          const body = buf.subarray(0, Math.min(got, size));
          await throttle(pack);
          await entry(pack, { ...base, type: 'file', size: body.length }, body);
          stats.contentBytes += body.length;
        } else {
          const sink = entryWriter(pack, writePax(pack, { ...base, type: 'file', size }));
          let left = size;
          let short = false;
          while (left > 0) {
            const buf = Buffer.allocUnsafe(Math.min(CHUNK, left));
            let r = short ? 0 : fs.readSync(fd, buf, 0, buf.length, null);
            if (r === 0) {
              // The file shrank while we read it: keep the archive valid, say so.
              if (!short) fileChange('shrank while being read; padded with zeros');
              short = true;
              buf.fill(0);
              r = buf.length;
            }
            left -= r;
            stats.contentBytes += r;
            opts.onProgress?.(0, r);
            await sink.write(r === buf.length ? buf : buf.subarray(0, r));
          }
          if (!short && fs.readSync(fd, Buffer.alloc(1), 0, 1, null) > 0) fileChange(`grew while being read; archived its first ${size} bytes`);
          await sink.end();
          stats.entries.files++;
          opts.onProgress?.(1, 0);
          continue;
        }
      } finally {
        // GNU tar's rule: times or size different after reading means the copy may be torn.
        const after = fs.fstatSync(fd, { bigint: true });
        if (after.nlink === 0n) fileChange('deleted or replaced while being read; archived as it was when opened');
        else if (after.mtimeNs !== st.mtimeNs || after.ctimeNs !== st.ctimeNs || after.size !== st.size) fileChange('file changed as we read it');
        fs.closeSync(fd);
      }
      stats.entries.files++;
      opts.onProgress?.(1, size);
    }
    // Depth first, in name order.
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i] as { dir: Buffer; header: Headers });
  }
  return stats;
}

/** Count what a backup will read (files and bytes), for the progress ETA. Bounded by maxEntries. */
export function scanTree(root: string, exclude: (rel: string) => boolean, maxEntries = 5_000_000): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  let seen = 0;
  const rootBuf = Buffer.from(root);
  let rootDev: number;
  try {
    rootDev = fs.lstatSync(rootBuf).dev;
  } catch {
    return { files, bytes };
  }
  const stack: Buffer[] = [Buffer.alloc(0)];
  while (stack.length && seen < maxEntries) {
    const dir = stack.pop() as Buffer;
    const absDir = dir.length ? Buffer.concat([rootBuf, SLASH, dir]) : rootBuf;
    let names: Buffer[];
    try {
      names = fs.readdirSync(absDir, { encoding: 'buffer' });
    } catch {
      continue;
    }
    for (const name of names) {
      seen++;
      const rel = dir.length ? Buffer.concat([dir, SLASH, name]) : name;
      const relText = rel.toString('utf8');
      if ((!dir.length && RESERVED_ROOT.test(relText)) || exclude(relText)) continue;
      let st: fs.Stats;
      try {
        st = fs.lstatSync(Buffer.concat([rootBuf, SLASH, rel]));
      } catch {
        continue;
      }
      if (st.isDirectory() && st.dev === rootDev) stack.push(rel);
      else if (st.isFile()) {
        files++;
        // Allocated bytes for sparse files: their holes are not read.
        bytes += Math.min(st.size, st.blocks * 512);
      }
    }
  }
  return { files, bytes };
}
