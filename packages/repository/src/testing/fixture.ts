/**
 * Test support: a small tree with every attribute restic can carry (the archive tests' fidelity
 * fixture, in small), and a comparison of two trees attribute for attribute.
 */
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeSync,
  chmodSync,
  chownSync,
  linkSync,
  mkdirSync,
  symlinkSync,
  writeFileSync,
  ftruncateSync,
} from 'node:fs';
import { join } from 'node:path';
import type { FsExtras } from '../fs-extras.js';

/** Deterministic pseudo-random bytes (SHA-256 in counter mode): the same cut points on every run. */
export function seededBytes(seed: string, n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0, off = 0; off < n; i++, off += 32)
    createHash('sha256')
      .update(`${seed}:${i}`)
      .digest()
      .copy(out, off, 0, Math.min(32, n - off));
  return out;
}

/** Build the fixture under `root` (which must not exist). Sizes stay small: about 3 MiB of data. */
export function makeFixture(root: string, fsx: FsExtras): void {
  mkdirSync(root);
  mkdirSync(join(root, 'dir/sub'), { recursive: true });
  mkdirSync(join(root, 'empty-dir'));
  writeFileSync(join(root, 'random.bin'), seededBytes('random.bin', 3 * 1024 * 1024 + 12345));
  writeFileSync(join(root, 'text.txt'), 'line <&> \u00e9\u4e2d\n'.repeat(40000));
  writeFileSync(join(root, 'empty'), '');
  writeFileSync(join(root, 'dir/sub/deep'), 'deep');
  writeFileSync(join(root, 'na\u00efve <name> & "q"'), 'unicode name');
  writeFileSync(Buffer.from(`${root}/not-utf8-\xff\xfe\ttab`, 'latin1'), 'a name that is not UTF-8, with a tab');
  writeFileSync(join(root, 'setuid'), 'x');
  chmodSync(join(root, 'setuid'), 0o4755);
  writeFileSync(join(root, 'setgid'), 'x');
  chmodSync(join(root, 'setgid'), 0o2750);
  chmodSync(join(root, 'dir'), 0o1777);
  writeFileSync(join(root, 'owned'), 'owned by 1234:5678');
  chownSync(join(root, 'owned'), 1234, 5678);
  symlinkSync('text.txt', join(root, 'link'));
  symlinkSync('/nonexistent/target', join(root, 'dangling'));
  linkSync(join(root, 'text.txt'), join(root, 'dir/hardlink'));
  fsx.setXattr(Buffer.from(join(root, 'text.txt')), Buffer.from('user.comment'), Buffer.from('hello xattr'));
  fsx.setXattr(Buffer.from(join(root, 'dir')), Buffer.from('user.bin'), Buffer.from([0, 1, 2, 255]));
  if (spawnSync('mkfifo', [join(root, 'fifo')]).status !== 0) throw new Error('mkfifo failed');
  // sparse: 4 MiB with 64 KiB of data at 1 MiB and at the end
  const fd = openSync(join(root, 'sparse'), 'w');
  writeSync(fd, randomBytes(65536), 0, 65536, 1024 * 1024);
  writeSync(fd, Buffer.from('tail'), 0, 4, 4 * 1024 * 1024 - 4);
  closeSync(fd);
  const fd2 = openSync(join(root, 'trailing-hole'), 'w');
  writeSync(fd2, Buffer.from('head'), 0, 4, 0);
  ftruncateSync(fd2, 1024 * 1024 + 7);
  closeSync(fd2);
  // nanosecond times, set last (children first)
  let i = 0;
  const stamp = (p: string) => fsx.utimens(Buffer.from(p), 1_600_000_000 + i * 1000, 123_456_789 + i++, false);
  for (const p of walk(root).reverse()) fsx.utimens(Buffer.concat([Buffer.from(`${root}/`), p]), 1_600_000_000 + i * 1000, 123_456_789 + i++, false);
  stamp(root);
}

/** Relative paths under root, as bytes (names need not be UTF-8). */
export function walk(root: string, rel: Buffer = Buffer.alloc(0)): Buffer[] {
  const out: Buffer[] = [];
  const dir = rel.length ? Buffer.concat([Buffer.from(`${root}/`), rel]) : Buffer.from(root);
  for (const name of readdirSync(dir, { encoding: 'buffer' }).sort(Buffer.compare)) {
    const p = rel.length ? Buffer.concat([rel, Buffer.from('/'), name]) : name;
    out.push(p);
    if (lstatSync(Buffer.concat([Buffer.from(`${root}/`), p])).isDirectory()) out.push(...walk(root, p));
  }
  return out;
}

/** A path's key in a description: the text, or `hex:` and its bytes when it is not UTF-8. */
function key(p: Buffer): string {
  const s = p.toString('utf8');
  return Buffer.from(s).equals(p) ? s : `hex:${p.toString('hex')}`;
}

export interface Described {
  type: string;
  mode: string;
  uid: number;
  gid: number;
  mtimeNs?: string;
  size?: number;
  sha256?: string;
  link?: string;
  xattrs: Record<string, string>;
  /** Paths of the other names of a hard-linked file. */
  hardlinkGroup?: string[];
  sparse?: boolean;
}

/** Every entry's attributes, keyed by relative path. `sparse` is true when blocks cover less than the size. */
export function describe(root: string, fsx: FsExtras): Record<string, Described> {
  const out: Record<string, Described> = {};
  const inodes = new Map<string, string[]>();
  for (const pb of walk(root)) {
    const p = key(pb);
    const full = Buffer.concat([Buffer.from(`${root}/`), pb]);
    const st = lstatSync(full, { bigint: true });
    const type = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFIFO() ? 'fifo' : 'other';
    const d: Described = { type, mode: (Number(st.mode) & 0o7777).toString(8), uid: Number(st.uid), gid: Number(st.gid), xattrs: {} };
    // Symlink times are restored by restic too, but its 0.14 sets them through the link: compare files and dirs.
    if (type !== 'symlink') d.mtimeNs = st.mtimeNs.toString();
    if (type === 'file') {
      d.size = Number(st.size);
      d.sha256 = createHash('sha256').update(readFileSync(full)).digest('hex');
      d.sparse = Number(st.blocks) * 512 < Number(st.size);
      if (st.nlink > 1n) {
        const k = st.ino.toString();
        inodes.set(k, [...(inodes.get(k) ?? []), p]);
      }
    }
    if (type === 'symlink') d.link = readlinkSync(full);
    if (type !== 'symlink') for (const n of fsx.listXattrs(full)) d.xattrs[n.toString()] = fsx.getXattr(full, n).toString('hex');
    out[p] = d;
  }
  for (const group of inodes.values()) for (const p of group) (out[p] as Described).hardlinkGroup = group;
  return out;
}
