/**
 * Backs up directory trees into one snapshot. Each root is read from `source` and stored under its
 * absolute `path` (a volume mounted at /data, another at /srv/www), the path's parents mirrored as
 * directories as restic does. With a parent snapshot (restic's rule: latest with the same
 * hostname and paths), a file whose type, size, mtime, ctime and inode are unchanged and whose
 * blobs are all in the index keeps its content list without being read. New content goes through
 * restic's chunker; blobs the repository has (whoever wrote them) are not stored again.
 */
import { closeSync, constants as C, lstatSync, openSync, promises as fs, readdirSync, readlinkSync, readSync, type BigIntStats } from 'node:fs';
import { posix } from 'node:path';
import { Blobs, type BlobStats } from './blobs.js';
import { Chunker } from './chunker.js';
import { currentUser } from './current-user.js';
import { RepositoryUsageError } from './errors.js';
import { chunks } from './file-reader.js';
import { type FsExtras, type Names, systemNames } from './fs-extras.js';
import { goTime, parseGoTime } from './json.js';
import { lockRepository } from './lock.js';
import { MasterIndex } from './master-index.js';
import { goMode, S } from './modes.js';
import type { Repository } from './repository.js';
import { findParent, listSnapshots, type Snapshot } from './snapshot.js';
import { nameKey, type NodeType, parseTree, serializeTree, type TreeNode } from './tree.js';

export interface BackupRoot {
  /** Where to read it on this machine. */
  source: string;
  /** Absolute path it has in the snapshot (its mount path). */
  path: string;
  /** Leave out what this matches: the path relative to the root ("cache/x"), '/'-separated. */
  exclude?: (rel: string) => boolean;
}

/** Running totals, reported after each file: files and bytes gone through (read or unchanged), bytes stored. */
export interface ArchiverProgress {
  files: number;
  bytes: number;
  stored: number;
}

export interface BackupOptions {
  roots: BackupRoot[];
  hostname: string;
  tags?: string[];
  /** A snapshot id, or undefined for restic's rule (latest with the same hostname and paths), or null for none. */
  parent?: string | null;
  fsx?: FsExtras;
  names?: Names;
  /** Snapshot time, ns since the epoch (default now). */
  timeNs?: bigint;
  ignoreCtime?: boolean;
  ignoreInode?: boolean;
  /** The --exclude patterns, recorded in the snapshot (restic's `excludes`). */
  excludes?: string[];
  onProgress?: (p: ArchiverProgress) => void;
  /** Every file has been read; only the last packs, the index and the snapshot remain to write. */
  onReadDone?: () => void;
}

export interface BackupStats extends BlobStats {
  files: number;
  dirs: number;
  /** Files taken from the parent without reading them. */
  unchangedFiles: number;
  /** Bytes of files read (holes not counted). */
  readBytes: number;
}

export interface BackupResult {
  id: string;
  snapshot: Snapshot;
  stats: BackupStats;
}

/** An exclude rule and the path, relative to its root, of what is being looked at. */
interface Excluding {
  exclude: (rel: string) => boolean;
  rel: string;
}

interface VirtualDir {
  children: Map<string, VirtualDir | BackupRoot>;
  /** The absolute path this directory stands for. */
  path: string;
}

function nodeType(st: BigIntStats): NodeType {
  const t = Number(st.mode) & 0o170000;
  switch (t) {
    case S.reg:
      return 'file';
    case S.dir:
      return 'dir';
    case S.lnk:
      return 'symlink';
    case S.blk:
      return 'dev';
    case S.chr:
      return 'chardev';
    case S.fifo:
      return 'fifo';
    default:
      return 'socket';
  }
}

export class Archiver {
  private chunkerCache: Chunker | undefined;
  private readonly blobs: Blobs;
  private readonly stats: BackupStats;
  private readonly names: Names;
  private readonly progressed: ArchiverProgress = { files: 0, bytes: 0, stored: 0 };

  constructor(
    private readonly repo: Repository,
    index: MasterIndex,
    private readonly opts: BackupOptions,
  ) {
    this.names = opts.names ?? systemNames();
    this.blobs = new Blobs(repo, index);
    this.stats = { ...this.blobs.stats, files: 0, dirs: 0, unchangedFiles: 0, readBytes: 0 };
  }

  /** Made on first use: a backup where nothing changed never builds the polynomial's tables. */
  private get chunker(): Chunker {
    this.chunkerCache ??= new Chunker(this.repo.tables);
    return this.chunkerCache;
  }

  /** Back up and save the snapshot, under a non-exclusive lock. */
  static async backup(repo: Repository, opts: BackupOptions): Promise<BackupResult> {
    // The lock carries this machine's (container's) own hostname, not the snapshot's fixed one: a
    // dead-PID check against a lock with our hostname must mean a process in our own PID namespace.
    const lock = await lockRepository(repo, { exclusive: false });
    try {
      const index = await MasterIndex.load(repo);
      return await new Archiver(repo, index, opts).run();
    } finally {
      await lock.release();
    }
  }

  async run(): Promise<BackupResult> {
    const roots = this.opts.roots;
    if (roots.length === 0) throw new RepositoryUsageError('nothing to back up: no paths given');
    const virt = this.layout(roots);
    const paths = roots.map((r) => r.path).sort();
    let parent: { id: string; tree: string } | undefined;
    if (this.opts.parent !== null) {
      const snaps = await listSnapshots(this.repo);
      const p = this.opts.parent === undefined ? findParent(snaps, this.opts.hostname, paths) : snaps.find((s) => s.id.startsWith(this.opts.parent as string));
      if (this.opts.parent !== undefined && !p) throw new RepositoryUsageError(`no parent snapshot ${this.opts.parent}`, 'list them with `restic snapshots`');
      if (p) parent = { id: p.id, tree: p.snapshot.tree };
    }
    const tree = await this.saveVirtual(virt, parent?.tree);
    this.opts.onReadDone?.();
    await this.blobs.flush();
    Object.assign(this.stats, this.blobs.stats);
    const { username, uid, gid } = currentUser();
    const snapshot: Snapshot = {
      time: goTime(this.opts.timeNs ?? BigInt(Date.now()) * 1_000_000n),
      ...(parent ? { parent: parent.id } : {}),
      tree,
      paths,
      hostname: this.opts.hostname,
      username,
      ...(uid ? { uid } : {}),
      ...(gid ? { gid } : {}),
      ...(this.opts.excludes && this.opts.excludes.length ? { excludes: this.opts.excludes } : {}),
      ...(this.opts.tags && this.opts.tags.length ? { tags: this.opts.tags } : {}),
    };
    const id = await this.repo.saveJson('snapshot', snapshot);
    return { id, snapshot, stats: this.stats };
  }

  private layout(roots: BackupRoot[]): VirtualDir {
    const top: VirtualDir = { children: new Map(), path: '/' };
    for (const r of roots) {
      if (!posix.isAbsolute(r.path) || posix.normalize(r.path) !== r.path || r.path === '/')
        throw new RepositoryUsageError(`backup path ${r.path} must be absolute, normalised and not /`);
      const parts = r.path.split('/').filter(Boolean);
      let d = top;
      for (let i = 0; i < parts.length - 1; i++) {
        const name = parts[i] as string;
        let c = d.children.get(name);
        if (!c) {
          c = { children: new Map(), path: `/${parts.slice(0, i + 1).join('/')}` };
          d.children.set(name, c);
        }
        if (!('children' in c)) throw new RepositoryUsageError(`backup paths overlap: ${c.path} contains ${r.path}`);
        d = c;
      }
      const last = parts[parts.length - 1] as string;
      if (d.children.has(last)) throw new RepositoryUsageError(`backup paths overlap at ${r.path}`);
      d.children.set(last, r);
    }
    return top;
  }

  private async parentNodes(treeId: string | undefined): Promise<Map<string, TreeNode>> {
    const m = new Map<string, TreeNode>();
    if (!treeId) return m;
    try {
      for (const n of parseTree(await this.blobs.load('tree', treeId)).nodes) m.set(nameKey(n), n);
    } catch {
      /* a parent tree that cannot be read only costs re-reading the files */
    }
    return m;
  }

  /** A mirrored parent directory (`srv` for /srv/www): its metadata from this machine when it exists. */
  private async saveVirtual(d: VirtualDir, parentTree: string | undefined): Promise<string> {
    const before = await this.parentNodes(parentTree);
    const nodes: TreeNode[] = [];
    for (const [name, c] of d.children) {
      const prev = before.get(Buffer.from(name).toString('latin1'));
      const prevTree = prev?.type === 'dir' ? prev.subtree : undefined;
      if ('children' in c) {
        const subtree = await this.saveVirtual(c, prevTree);
        let st: BigIntStats | undefined;
        try {
          st = lstatSync(c.path, { bigint: true });
        } catch {
          st = undefined;
        }
        const node = st?.isDirectory() ? this.node(name, c.path, st) : syntheticDir(name, this.opts.timeNs ?? BigInt(Date.now()) * 1_000_000n);
        node.subtree = subtree;
        nodes.push(node);
      } else {
        const st = lstatSync(c.source, { bigint: true });
        nodes.push(await this.entry(name, Buffer.from(c.source), st, prev, undefined, c.exclude ? { exclude: c.exclude, rel: '' } : undefined));
      }
    }
    return this.blobs.save('tree', serializeTree(nodes));
  }

  /**
   * Paths are Buffers from here on: a name that is not UTF-8 is still read (restic stores it as U+FFFD).
   * Metadata calls (readdir, lstat, readlink) are synchronous: each takes microseconds, while an
   * awaited one costs a thread-pool round trip; one after the other, those round trips were most
   * of a backup where nothing changed.
   */
  private async saveDir(dir: Buffer, parentTree: string | undefined, ex: Excluding | undefined): Promise<string> {
    const before = await this.parentNodes(parentTree);
    const raw = readdirSync(dir, { encoding: 'buffer' });
    const nodes: TreeNode[] = [];
    for (const nb of raw) {
      const name = nb.toString('utf8');
      const raw = Buffer.from(name, 'utf8').equals(nb) ? undefined : nb;
      const sub = ex ? { exclude: ex.exclude, rel: ex.rel ? `${ex.rel}/${name}` : name } : undefined;
      if (sub && sub.exclude(sub.rel)) continue;
      const p = Buffer.concat([dir, SLASH, nb]);
      let st: BigIntStats;
      try {
        st = lstatSync(p, { bigint: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed while we walk
        throw err;
      }
      nodes.push(await this.entry(name, p, st, before.get(nb.toString('latin1')), raw, sub));
    }
    return this.blobs.save('tree', serializeTree(nodes));
  }

  private async entry(name: string, p: Buffer, st: BigIntStats, prev: TreeNode | undefined, rawName?: Buffer, ex?: Excluding): Promise<TreeNode> {
    const node = this.node(name, p, st);
    if (rawName) node.rawName = rawName;
    if (node.type === 'dir') {
      this.stats.dirs++;
      node.subtree = await this.saveDir(p, prev?.type === 'dir' ? prev.subtree : undefined, ex);
    } else if (node.type === 'file') {
      this.stats.files++;
      if (prev && this.unchanged(prev, st)) {
        node.content = prev.content ?? [];
        this.stats.unchangedFiles++;
      } else node.content = await this.saveFile(p, Number(st.size));
      if (this.opts.onProgress) {
        this.progressed.files++;
        this.progressed.bytes += Number(st.size);
        this.progressed.stored = this.blobs.stats.storedBytes;
        this.opts.onProgress(this.progressed);
      }
    }
    return node;
  }

  /** restic's rule (archiver.fileChanged): same type, mtime, ctime, size, inode; all blobs indexed. */
  private unchanged(prev: TreeNode, st: BigIntStats): boolean {
    if (prev.type !== 'file' || !Array.isArray(prev.content)) return false;
    try {
      if (parseGoTime(prev.mtime) !== st.mtimeNs) return false;
      if (!this.opts.ignoreCtime && parseGoTime(prev.ctime) !== st.ctimeNs) return false;
    } catch {
      return false;
    }
    if ((prev.size ?? 0) !== Number(st.size)) return false;
    if (!this.opts.ignoreInode && (prev.inode ?? 0) !== Number(st.ino)) return false;
    return prev.content.every((id) => this.blobs.has('data', id));
  }

  private async saveFile(p: Buffer, size: number): Promise<string[]> {
    if (size === 0) return [];
    if (size < SMALL_FILE) return this.saveSmallFile(p, size);
    const fh = await fs.open(p, C.O_RDONLY | C.O_NOFOLLOW | C.O_NOATIME).catch(() => fs.open(p, C.O_RDONLY | C.O_NOFOLLOW));
    try {
      const ids: string[] = [];
      for await (const chunk of chunks(fh, size, this.chunker, this.opts.fsx, this.stats)) ids.push(await this.blobs.save('data', chunk));
      return ids;
    } finally {
      await fh.close();
    }
  }

  /**
   * A file under the chunker's minimum size is one blob (restic's rule): read with plain sync
   * calls, which spares the three thread-pool round trips (open, read, close) that made a volume
   * of small files wait on I/O rather than work.
   */
  private async saveSmallFile(p: Buffer, size: number): Promise<string[]> {
    let fd: number;
    try {
      fd = openSync(p, C.O_RDONLY | C.O_NOFOLLOW | C.O_NOATIME);
    } catch {
      fd = openSync(p, C.O_RDONLY | C.O_NOFOLLOW);
    }
    let buf = Buffer.allocUnsafe(size);
    let got = 0;
    try {
      while (got < size) {
        const n = readSync(fd, buf, got, size - got, got);
        if (n === 0) break; // it shrank: what was read is saved, as restic does
        got += n;
      }
    } finally {
      closeSync(fd);
    }
    this.stats.readBytes += got;
    if (got < size) buf = buf.subarray(0, got);
    return got === 0 ? [] : [await this.blobs.save('data', buf)];
  }

  private node(name: string, p: Buffer | string, st: BigIntStats): TreeNode {
    const type = nodeType(st);
    const uid = Number(st.uid);
    const gid = Number(st.gid);
    const n: TreeNode = {
      name,
      type,
      mode: goMode(Number(st.mode)),
      mtime: goTime(st.mtimeNs),
      atime: goTime(st.atimeNs),
      ctime: goTime(st.ctimeNs),
      uid,
      gid,
      user: this.names.user(uid),
      group: this.names.group(gid),
      inode: Number(st.ino),
      device_id: Number(st.dev),
    };
    if (type === 'file') n.size = Number(st.size);
    if (type === 'file' || type === 'symlink' || type === 'dev' || type === 'chardev') n.links = Number(st.nlink);
    if (type === 'symlink') n.linktarget = readlinkSync(p, { encoding: 'buffer' }).toString('utf8');
    if (type === 'dev' || type === 'chardev') n.device = Number(st.rdev);
    const xattrs = this.xattrs(p);
    if (xattrs.length) n.extended_attributes = xattrs;
    return n;
  }

  private xattrs(p: Buffer | string): Array<{ name: string; value: string }> {
    const fsx = this.opts.fsx;
    if (!fsx) return [];
    const path = Buffer.isBuffer(p) ? p : Buffer.from(p);
    let names: Buffer[];
    try {
      names = fsx.listXattrs(path);
    } catch {
      return [];
    }
    const out: Array<{ name: string; value: string }> = [];
    for (const nm of names) {
      try {
        out.push({ name: nm.toString('utf8'), value: fsx.getXattr(path, nm).toString('base64') });
      } catch {
        /* removed meanwhile */
      }
    }
    return out;
  }
}

const SLASH = Buffer.from('/');
/** restic's chunker cuts nothing before 512 KiB: a smaller file is one blob. */
const SMALL_FILE = 512 * 1024;

function syntheticDir(name: string, ns: bigint): TreeNode {
  const t = goTime(ns);
  return { name, type: 'dir', mode: goMode(0o040755), mtime: t, atime: t, ctime: t, uid: 0, gid: 0 };
}
