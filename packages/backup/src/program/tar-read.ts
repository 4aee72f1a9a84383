/**
 * Extract a tar stream (as written by tar-write.ts, or by GNU tar) into a directory, restoring
 * modes, numeric owners, mtimes, symlinks and hard links. Directory metadata is applied last,
 * deepest first, so that restrictive modes and mtimes survive the writes inside them. The
 * archive's root entry (".") is returned rather than applied: the caller applies it to the mount
 * point after swapping the staged tree in.
 */
import * as fs from 'node:fs';
import type { Readable } from 'node:stream';
import type { TarHeader as Headers } from '../model.js';
import type { EntryCounts } from '../model.js';
import { CorruptArchiveError } from '../errors.js';
import { loadFsx } from './fsx.js';
import { keepRawPax, rawPax } from './pax.js';
import { SparseRestorer } from './sparse.js';
import { fromDate, parseMtime, setFdTimes, setTimes, type Mtime } from './times.js';
import { applyXattrs, xattrsOf } from './xattrs.js';

export interface RootMeta {
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
  /** mtime to the nanosecond. */
  time: Mtime;
  xattrs: Array<[Buffer, Buffer]>;
}

export interface ExtractResult {
  entries: EntryCounts;
  root?: RootMeta;
  skipped: number;
  /** What could not be restored as archived (xattrs the file system or capabilities refused). */
  warnings: string[];
  warningCount: number;
}

export interface ExtractOptions {
  /** Only read the archive (verify), write nothing. */
  dryRun?: boolean;
  onProgress?: (files: number, bytes: number) => void;
}

const SLASH = Buffer.from('/');

function rawName(h: Headers, key: 'path' | 'linkpath', text: string): Buffer {
  // A PAX path/linkpath as its exact bytes: GNU tar writes names that are not UTF-8 as raw bytes
  // (tar-stream decodes them as UTF-8, which would replace those bytes). A GNU sparse member is
  // named by GNU.sparse.name.
  const raws = rawPax(h);
  const exact = (key === 'path' ? raws.get('GNU.sparse.name') : undefined) ?? raws.get(key);
  if (exact) return exact;
  const raw = h.pax?.[`DOCKSIDE.raw${key}`];
  // GNU tar names a sparse member by GNU.sparse.name (its ustar name is GNUSparseFile.N/...).
  if (!raw && key === 'path' && h.pax?.['GNU.sparse.name'] && !h.pax.path) return Buffer.from(h.pax['GNU.sparse.name'], 'utf8');
  return raw ? Buffer.from(raw, 'base64') : Buffer.from(text, 'utf8');
}

/** Relative path of an entry, or undefined for the root; throws on escaping paths. */
export function entryPath(name: Buffer): Buffer | undefined {
  let s = name;
  while (s.length && s[s.length - 1] === 0x2f) s = s.subarray(0, s.length - 1);
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= s.length; i++) {
    if (i === s.length || s[i] === 0x2f) {
      const part = s.subarray(start, i);
      start = i + 1;
      if (part.length === 0 || (part.length === 1 && part[0] === 0x2e)) continue;
      if (part.length === 2 && part[0] === 0x2e && part[1] === 0x2e) throw new CorruptArchiveError(`archive entry "${name.toString()}" escapes the volume`);
      parts.push(part);
    }
  }
  if (parts.length === 0) return undefined;
  const out: Buffer[] = [];
  parts.forEach((p, i) => {
    if (i) out.push(SLASH);
    out.push(p);
  });
  return Buffer.concat(out);
}

/**
 * What keeps an extraction inside its directory (GNU tar's and restic's rule): the directory
 * starts empty, so every symlink in it was planted by this archive; an entry (or a hard link's
 * target) whose path passes through one is refused, since creating it would follow the link out
 * of the volume (to a bind mount, another volume or the host). Names are kept as their exact bytes.
 */
export class Confinement {
  private readonly symlinks = new Set<string>();

  /** Throws when a proper prefix of `rel` is a symlink this archive planted. */
  check(rel: Buffer, entry: string, what = 'entry'): void {
    for (let i = 0; i < rel.length; i++) {
      if (rel[i] !== 0x2f) continue;
      const prefix = rel.subarray(0, i);
      if (this.symlinks.has(prefix.toString('latin1'))) {
        throw new CorruptArchiveError(
          `archive ${what} "${entry}" goes through the symlink "${prefix.toString()}" that the archive created, which would write outside the volume; nothing was restored`,
        );
      }
    }
  }

  isSymlink(rel: Buffer): boolean {
    return this.symlinks.has(rel.toString('latin1'));
  }

  planted(rel: Buffer): void {
    this.symlinks.add(rel.toString('latin1'));
  }

  /** `rel` no longer names a symlink (an entry replaced it). */
  replaced(rel: Buffer): void {
    this.symlinks.delete(rel.toString('latin1'));
  }
}

function ensureParent(abs: Buffer): void {
  const i = abs.lastIndexOf(0x2f);
  if (i > 0) fs.mkdirSync(abs.subarray(0, i), { recursive: true, mode: 0o700 });
}

export async function extractTar(source: Readable, dest: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const { extract } = await import('tar-stream');
  const ex = extract();
  keepRawPax(ex);
  const fsx = loadFsx();
  source.on('error', (err) => ex.destroy(err));
  source.pipe(ex as unknown as NodeJS.WritableStream);
  const destBuf = Buffer.from(dest);
  const result: ExtractResult = { entries: { files: 0, dirs: 0, symlinks: 0, hardlinks: 0 }, skipped: 0, warnings: [], warningCount: 0 };
  const report = (rel: Buffer, messages: string[]) => {
    for (const m of messages) {
      result.warningCount++;
      if (result.warnings.length < 100) result.warnings.push(`${rel.toString()}: ${m}`);
    }
  };
  const dirs: Array<{ abs: Buffer; rel: Buffer; h: Headers; time: Mtime }> = [];
  const dry = opts.dryRun ?? false;
  const myUid = process.getuid?.() ?? -1;
  const myGid = process.getgid?.() ?? -1;
  const umask = process.umask();
  const confined = new Confinement();

  for await (const e of ex as AsyncIterable<NodeJS.ReadableStream & { header: Headers }>) {
    const h = e.header;
    const rel = entryPath(rawName(h, 'path', h.name));
    const mode = (h.mode ?? 0o644) & 0o7777;
    const uid = h.uid ?? 0;
    const gid = h.gid ?? 0;
    const mtime = h.mtime ?? new Date();
    const time = parseMtime(h.pax?.mtime) ?? fromDate(mtime);
    if (!rel) {
      if (h.type === 'directory') {
        result.root = { mode, uid, gid, mtime, time, xattrs: xattrsOf(h) };
        result.entries.dirs++;
      }
      for await (const _ of e) void _;
      continue;
    }
    confined.check(rel, rel.toString());
    const abs = Buffer.concat([destBuf, SLASH, rel]);
    switch (h.type) {
      case 'directory': {
        // mkdir over a planted symlink would leave the later entries in it going out through it.
        if (confined.isSymlink(rel)) throw new CorruptArchiveError(`archive entry "${rel.toString()}" is a directory over a symlink the archive created; nothing was restored`);
        if (!dry) {
          try {
            fs.mkdirSync(abs, { mode: 0o700 });
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
              ensureParent(abs);
              fs.mkdirSync(abs, { mode: 0o700 });
            } else if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
          }
          dirs.push({ abs, rel, h: { ...h, mode, uid, gid, mtime }, time });
        }
        result.entries.dirs++;
        for await (const _ of e) void _;
        break;
      }
      case 'file':
      case 'contiguous-file': {
        let fd = -1;
        // Created with its final permission bits when the umask allows (the sidecar sets 0), so
        // that most files need no chmod; setuid/setgid/sticky bits are set after chown clears them.
        const createMode = mode & 0o777;
        // O_EXCL, not O_TRUNC: on ext4 a truncating open makes close() flush the file
        // (auto_da_alloc), which made restores 5x slower. The staging folder starts empty; an
        // entry repeated in the archive replaces the earlier one.
        if (!dry) {
          try {
            fd = fs.openSync(abs, 'wx', createMode);
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            if (code === 'ENOENT') ensureParent(abs);
            else if (code === 'EEXIST') fs.rmSync(abs as unknown as string, { recursive: true, force: true });
            else throw err;
            // O_CREAT|O_EXCL never follows a symlink at the last component.
            fd = fs.openSync(abs, 'wx', createMode);
          }
        }
        confined.replaced(rel);
        let n = 0;
        const sparse = h.pax?.['GNU.sparse.major'] === '1' ? new SparseRestorer(fd, Number(h.pax['GNU.sparse.realsize'] ?? 0)) : undefined;
        if (h.pax?.['GNU.sparse.major'] && !sparse)
          throw new CorruptArchiveError(`${h.name}: GNU sparse format ${h.pax['GNU.sparse.major']}.${h.pax['GNU.sparse.minor']} is not supported (1.0 is)`);
        try {
          for await (const chunk of e as AsyncIterable<Buffer>) {
            if (sparse) sparse.write(chunk);
            else if (fd >= 0) {
              let off = 0;
              while (off < chunk.length) off += fs.writeSync(fd, chunk, off, chunk.length - off);
            }
            n += chunk.length;
            if (n >= 1 << 20) {
              opts.onProgress?.(0, n);
              n = 0;
            }
          }
          sparse?.finish();
          if (fd >= 0) {
            if (uid !== myUid || gid !== myGid) fs.fchownSync(fd, uid, gid);
            if (mode !== createMode || umask !== 0) fs.fchmodSync(fd, mode);
            report(rel, applyXattrs(fsx, abs, xattrsOf(h)));
            setFdTimes(fsx, fd, time);
          }
        } finally {
          if (fd >= 0) fs.closeSync(fd);
        }
        opts.onProgress?.(1, n);
        result.entries.files++;
        break;
      }
      case 'symlink': {
        if (!dry) {
          const target = rawName(h, 'linkpath', h.linkname ?? '');
          try {
            fs.symlinkSync(target, abs);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
            ensureParent(abs);
            fs.symlinkSync(target, abs);
          }
          fs.lchownSync(abs, uid, gid);
          report(rel, applyXattrs(fsx, abs, xattrsOf(h)));
          setTimes(fsx, abs, time, false);
        }
        confined.planted(rel);
        result.entries.symlinks++;
        for await (const _ of e) void _;
        break;
      }
      case 'link': {
        const first = entryPath(rawName(h, 'linkpath', h.linkname ?? ''));
        if (!first) throw new CorruptArchiveError(`hard link "${h.name}" has no target`);
        // The target must be reached without a planted symlink too (a link to a file outside).
        confined.check(Buffer.concat([first, SLASH]), first.toString(), 'hard link target');
        if (!dry) fs.linkSync(Buffer.concat([destBuf, SLASH, first]), abs);
        // link(2) does not follow a symlink: a hard link to a planted symlink is one too.
        if (confined.isSymlink(first)) confined.planted(rel);
        result.entries.hardlinks++;
        for await (const _ of e) void _;
        break;
      }
      case 'fifo':
      case 'character-device':
      case 'block-device': {
        if (!dry) {
          if (!fsx?.mknod) report(rel, ['the native addon is missing: not restored']);
          else {
            const ifmt = h.type === 'fifo' ? fs.constants.S_IFIFO : h.type === 'character-device' ? fs.constants.S_IFCHR : fs.constants.S_IFBLK;
            const make = () => fsx.mknod?.(abs, ifmt | (mode & 0o777), h.devmajor ?? 0, h.devminor ?? 0);
            try {
              make();
            } catch (err) {
              const code = (err as NodeJS.ErrnoException).code ?? (err as { name?: string }).name;
              if (code === 'ENOENT') {
                ensureParent(abs);
                make();
              } else if (code === 'EEXIST') {
                fs.rmSync(abs as unknown as string, { recursive: true, force: true });
                make();
              } else throw err;
            }
            confined.replaced(rel);
            fs.lchownSync(abs, uid, gid);
            // mknod never follows a symlink; chmod here is on the node just made (never a symlink).
            if (mode & 0o7000) fs.chmodSync(abs, mode);
            setTimes(fsx, abs, time, false);
          }
        }
        for await (const _ of e) void _;
        break;
      }
      default:
        result.skipped++;
        for await (const _ of e) void _;
    }
  }
  // Directory metadata last, deepest first.
  for (let i = dirs.length - 1; i >= 0; i--) {
    const { abs, rel, h, time } = dirs[i] as { abs: Buffer; rel: Buffer; h: Headers; time: Mtime };
    // chown/chmod follow symlinks: only a directory that is still one gets its metadata.
    if (!fs.lstatSync(abs, { throwIfNoEntry: false })?.isDirectory()) continue;
    fs.chownSync(abs, h.uid ?? 0, h.gid ?? 0);
    fs.chmodSync(abs, h.mode ?? 0o755);
    report(rel, applyXattrs(fsx, abs, xattrsOf(h)));
    setTimes(fsx, abs, time, true);
  }
  return result;
}
