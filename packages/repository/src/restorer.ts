/**
 * Restores a snapshot into a staging directory, checking every blob (MAC, decompressed length,
 * hash; see blobs.ts) and every file's length against its node. It never follows a symlink: every
 * directory on the way is one it created itself, files are created with O_EXCL|O_NOFOLLOW, names
 * with `/`, NUL, `.` or `..` are refused, and metadata calls act on links themselves. Zero blobs are
 * not written (the file stays sparse). Hard links (same inode and device, links > 1) are relinked.
 */
import { chmodSync, closeSync, constants as C, ftruncateSync, lchownSync, linkSync, lutimesSync, mkdirSync, openSync, promises as fs, symlinkSync, writeSync } from 'node:fs';
import type { Backend } from './backend.js';
import { Blobs } from './blobs.js';
import { CorruptRepositoryError, RepositoryUsageError } from './errors.js';
import type { FsExtras } from './fs-extras.js';
import { parseGoTime } from './json.js';
import { lockRepository } from './lock.js';
import { MasterIndex } from './master-index.js';
import { posixPerm } from './modes.js';
import type { Repository } from './repository.js';
import { findSnapshot, type Snapshot } from './snapshot.js';
import { nameBytes, parseTree, type TreeNode } from './tree.js';

export interface RestoreOptions {
  fsx?: FsExtras;
  /** Set owners (needs root or CAP_CHOWN); default: when running as root. */
  chown?: boolean;
  /** After each file written. */
  onProgress?: (s: RestoreStats) => void;
}

export interface RestoreStats {
  files: number;
  dirs: number;
  links: number;
  bytes: number;
  /** Nodes that cannot be made here (devices without mknod, sockets). */
  skipped: string[];
}

export interface RestoreResult {
  id: string;
  snapshot: Snapshot;
  stats: RestoreStats;
}

const SLASH = Buffer.from('/');

function checkName(name: Buffer, where: string): void {
  const s = name.toString('latin1');
  if (s === '' || s === '.' || s === '..' || s.includes('/') || s.includes('\0'))
    throw new CorruptRepositoryError(`tree ${where}: refusing the unsafe name ${JSON.stringify(name.toString('utf8'))}`);
}

export class Restorer {
  private readonly blobs: Blobs;
  private readonly stats: RestoreStats = { files: 0, dirs: 0, links: 0, bytes: 0, skipped: [] };
  private readonly hardlinks = new Map<string, Buffer>();
  private readonly chown: boolean;

  constructor(
    private readonly repo: Repository,
    index: MasterIndex,
    private readonly opts: RestoreOptions = {},
  ) {
    this.blobs = new Blobs(repo, index);
    const packs = new PackCache(repo.backend);
    this.blobs.readBlob = (pack, offset, length) => packs.read(pack, offset, length);
    this.chown = opts.chown ?? process.getuid?.() === 0;
  }

  /** Restore `ref` (an id, a unique prefix or `latest`) into `target`, which must not exist or be empty. */
  static async restore(repo: Repository, ref: string, target: string, opts: RestoreOptions = {}): Promise<RestoreResult> {
    const found = await findSnapshot(repo, ref);
    if (!found) throw new RepositoryUsageError(`no snapshot ${ref} in ${repo.backend.location}`, 'list them with `restic snapshots`');
    // A non-exclusive lock, as restic's restore: a prune (exclusive) cannot remove packs meanwhile.
    const lock = await lockRepository(repo, { exclusive: false });
    try {
      const index = await MasterIndex.load(repo);
      const r = new Restorer(repo, index, opts);
      await r.restoreTree(found.snapshot.tree, target);
      return { id: found.id, snapshot: found.snapshot, stats: r.stats };
    } finally {
      await lock.release();
    }
  }

  /**
   * Find the directory at absolute `path` in the snapshot's tree (a mount path such as /data) and
   * restore what it holds into `target` (new or empty). Returns the directory's own node, whose
   * metadata the caller applies to the place it ends up (a mount point), with applyMeta.
   */
  async restorePath(rootTree: string, path: string, target: string): Promise<TreeNode> {
    const node = await this.lookup(rootTree, path);
    await this.restoreTree(node.subtree as string, target);
    return node;
  }

  /** The node of a directory at an absolute path of a snapshot. */
  async lookup(rootTree: string, path: string): Promise<TreeNode> {
    const parts = path.split('/').filter(Boolean);
    if (parts.length === 0) throw new RepositoryUsageError('cannot look up / in a snapshot: name a directory in it');
    let tree = rootTree;
    let node: TreeNode | undefined;
    for (const [i, part] of parts.entries()) {
      node = parseTree(await this.blobs.load('tree', tree)).nodes.find((n) => n.name === part);
      const here = `/${parts.slice(0, i + 1).join('/')}`;
      if (!node) throw new RepositoryUsageError(`the snapshot holds no ${here}`);
      if (node.type !== 'dir' || !node.subtree) throw new RepositoryUsageError(`${here} in the snapshot is a ${node.type}, not a directory`);
      tree = node.subtree;
    }
    return node as TreeNode;
  }

  /** Owner, mode, xattrs and times of `node` onto an existing path (a mount point after a swap). */
  async applyMeta(node: TreeNode, path: string): Promise<void> {
    this.meta(node, Buffer.from(path));
  }

  get restoreStats(): RestoreStats {
    return this.stats;
  }

  async restoreTree(treeId: string, target: string): Promise<void> {
    await fs.mkdir(target, { recursive: true, mode: 0o700 });
    const st = await fs.lstat(target);
    if (!st.isDirectory()) throw new RepositoryUsageError(`restore target ${target} is not a directory`);
    if ((await fs.readdir(target)).length > 0) throw new RepositoryUsageError(`restore target ${target} is not empty`, 'restore into a new directory');
    await this.dir(treeId, Buffer.from(target), '/');
  }

  private async dir(treeId: string, dir: Buffer, where: string): Promise<void> {
    const tree = parseTree(await this.blobs.load('tree', treeId).catch((err: unknown) => Promise.reject(affecting(err, `the directory ${where}`))));
    const seen = new Set<string>();
    const dirs: Array<{ node: TreeNode; path: Buffer }> = [];
    for (const node of tree.nodes) {
      const name = nameBytes(node);
      checkName(name, where);
      if (seen.has(name.toString('latin1'))) throw new CorruptRepositoryError(`tree ${where}: the name ${JSON.stringify(node.name)} appears twice`);
      seen.add(name.toString('latin1'));
      const p = Buffer.concat([dir, SLASH, name]);
      const w = `${where}${node.name}`;
      switch (node.type) {
        case 'dir':
          if (!node.subtree) throw new CorruptRepositoryError(`${w}: directory without a subtree`);
          mkdirSync(p, { mode: 0o700 });
          this.stats.dirs++;
          await this.dir(node.subtree, p, `${w}/`);
          dirs.push({ node, path: p });
          continue; // metadata after its content, below
        case 'file':
          if (await this.file(node, p, w)) continue; // a hard link shares the first one's metadata
          break;
        case 'symlink':
          symlinkSync(node.linktarget_raw ? Buffer.from(node.linktarget_raw, 'base64') : (node.linktarget ?? ''), p);
          break;
        case 'fifo':
          if (!(await mkfifo(p))) {
            this.stats.skipped.push(w);
            continue;
          }
          break;
        default:
          this.stats.skipped.push(w); // devices and sockets: no mknod in Node.js
          continue;
      }
      this.meta(node, p);
    }
    for (const d of dirs) this.meta(d.node, d.path);
  }

  /** Returns true when the file was made as a hard link to one restored before. */
  private async file(node: TreeNode, p: Buffer, where: string): Promise<boolean> {
    const key = (node.links ?? 1) > 1 && node.inode ? `${node.device_id ?? 0}:${node.inode}` : undefined;
    const first = key ? this.hardlinks.get(key) : undefined;
    if (first) {
      linkSync(first, p);
      this.stats.links++;
      return true;
    }
    // Synchronous writes: a page-cache write takes microseconds, an awaited one a thread-pool round
    // trip (open, write, truncate and close for each small file were most of a restore's time).
    const fd = openSync(p, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
    let off = 0;
    try {
      for (const id of node.content ?? []) {
        const b = await this.blobs.load('data', id).catch((err: unknown) => Promise.reject(affecting(err, where)));
        writeData(fd, b, off);
        off += b.length;
      }
      if (off !== (node.size ?? 0)) throw new CorruptRepositoryError(`${where}: its blobs hold ${off} bytes, the node says ${node.size ?? 0}`);
      ftruncateSync(fd, off); // a trailing hole
    } finally {
      closeSync(fd);
    }
    this.stats.files++;
    this.stats.bytes += off;
    this.opts.onProgress?.(this.stats);
    if (key) this.hardlinks.set(key, p);
    return false;
  }

  private meta(node: TreeNode, p: Buffer): void {
    const fsx = this.opts.fsx;
    if (this.chown) lchownSync(p, node.uid, node.gid);
    if (node.type !== 'symlink') chmodSync(p, posixPerm(node.mode ?? 0));
    if (fsx) {
      for (const x of node.extended_attributes ?? []) {
        try {
          fsx.setXattr(p, Buffer.from(x.name), Buffer.from(x.value, 'base64'));
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EPERM') throw err;
        }
      }
    }
    const ns = parseGoTime(node.mtime);
    const sec = Number(ns / 1_000_000_000n);
    const nsec = Number(ns % 1_000_000_000n);
    if (fsx) fsx.utimens(p, sec, nsec, false);
    else {
      const t = sec + nsec / 1e9;
      lutimesSync(p, t, t);
    }
  }
}

/** A damaged blob's error, naming the file (or directory) it belongs to. */
function affecting(err: unknown, what: string): unknown {
  if (!(err instanceof CorruptRepositoryError)) return err;
  return new CorruptRepositoryError(`${what}: ${err.message}`, { ...(err.hint ? { hint: err.hint } : {}), cause: err });
}

const PAGE = 4096;
const ZEROS = Buffer.alloc(1 << 20);

/** Whether b[start, end) holds only zeros (memcmp against a zero buffer, 1 MiB at a time). */
function zeroRange(b: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i += ZEROS.length) {
    const n = Math.min(ZEROS.length, end - i);
    if (!b.subarray(i, i + n).equals(ZEROS.subarray(0, n))) return false;
  }
  return true;
}

/**
 * Write a blob at `off`, leaving out its zero pages (aligned to the file's 4 KiB pages), so that
 * a sparse file comes back with the holes it had, not only where whole blobs were zero.
 */
function writeData(fd: number, b: Buffer, off: number): void {
  let runStart = -1;
  const flush = (end: number) => {
    if (runStart < 0) return;
    let done = runStart;
    while (done < end) done += writeSync(fd, b, done, end - done, off + done);
    runStart = -1;
  };
  if (zeroRange(b, 0, b.length)) return;
  for (let start = 0; start < b.length; ) {
    const end = Math.min(b.length, start + PAGE - ((off + start) % PAGE));
    if (zeroRange(b, start, end)) flush(start);
    else if (runStart < 0) runStart = start;
    start = end;
  }
  flush(b.length);
}

/** Packs up to this size are read whole, once, and kept while their blobs are restored. */
const CACHE_PACK_MAX = 32 * 1024 * 1024;
const CACHE_PACKS = 3;

/**
 * Whole packs for a restore: a snapshot's blobs mostly come in the order they were packed, so
 * reading each pack once (one open and read for hundreds of small files' blobs) replaces one
 * open/read/close per blob. A few packs are kept (least recently used goes); a pack read whole
 * once and evicted is read blob by blob from then on, so scattered blobs never read a pack twice.
 */
class PackCache {
  private readonly packs = new Map<string, Buffer>();
  private readonly seen = new Set<string>();

  constructor(private readonly backend: Backend) {}

  async read(pack: string, offset: number, length: number): Promise<Buffer> {
    let whole = this.packs.get(pack);
    if (!whole && !this.seen.has(pack)) {
      this.seen.add(pack);
      const size = await this.backend.stat('data', pack);
      if (size !== undefined && size <= CACHE_PACK_MAX) {
        whole = await this.backend.load('data', pack);
        this.packs.set(pack, whole);
        for (const k of this.packs.keys()) {
          if (this.packs.size <= CACHE_PACKS) break;
          this.packs.delete(k);
        }
      }
    }
    if (!whole) return this.backend.load('data', pack, offset, length);
    this.packs.delete(pack); // most recently used last
    this.packs.set(pack, whole);
    if (offset + length > whole.length) throw new CorruptRepositoryError(`data/${pack.slice(0, 8)}: truncated (wanted ${length} bytes at ${offset}, the pack has ${whole.length})`);
    return whole.subarray(offset, offset + length);
  }
}

async function mkfifo(p: Buffer): Promise<boolean> {
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync('mkfifo', ['-m', '600', '--', p.toString()], { stdio: 'ignore' });
  return r.status === 0;
}
