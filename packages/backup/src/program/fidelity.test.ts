/**
 * Fidelity of the tar writer and reader on a real tree: nanosecond mtimes (files, directories,
 * symlinks), sparse files, xattrs; and GNU tar reading what we write (gzip on the host: its Node
 * may lack zstd; the zstd path is covered by the integration tests).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { pack as makePack } from 'tar-stream';
import { compressStream } from './compress.js';
import { requireFsx } from './fsx.js';
import { extractTar } from './tar-read.js';
import { packTree } from './tar-write.js';

const fsx = requireFsx();
const b = (p: string) => Buffer.from(p);

/** Every entry's type, size, mode and mtime to the nanosecond, by relative path. */
export function metaSnapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  // Names as bytes (latin1 keys): names that are not UTF-8 compare exactly.
  const at = (r: string) => Buffer.from(`${root}/${r}`, 'latin1');
  const walk = (rel: string) => {
    for (const n of fs.readdirSync(rel ? at(rel) : b(root), { encoding: 'buffer' })) {
      const r = rel ? `${rel}/${n.toString('latin1')}` : n.toString('latin1');
      const st = fs.lstatSync(at(r), { bigint: true });
      let extra = '';
      if (st.isFile()) {
        const fd = fs.openSync(at(r), 'r');
        try {
          // Data segments and their bytes (holes are not read), and whether it is sparse on disk.
          const parts: string[] = [];
          for (let off = 0; off < Number(st.size); ) {
            const d = fsx.seekData(fd, off);
            if (d < 0) break;
            const h = fsx.seekHole(fd, d);
            const buf = Buffer.alloc(Math.min(h - d, 4 * 1024 * 1024));
            fs.readSync(fd, buf, 0, buf.length, d);
            parts.push(`${d}+${h - d}:${createHash('sha256').update(buf).digest('hex').slice(0, 16)}`);
            off = h;
          }
          extra = ` ${st.blocks * 512n < st.size ? 'sparse' : 'dense'} ${parts.join(',')}`;
        } finally {
          fs.closeSync(fd);
        }
      }
      const x = fsx
        .listXattrs(at(r))
        .map((n) => `${n.toString()}=${fsx.getXattr(at(r), n).toString('hex')}`)
        .sort()
        .join(',');
      out.set(r, `${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.size} ${st.mtimeNs}${extra}${x ? ` xattrs ${x}` : ''}`);
      if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  return out;
}

/** `setcap cap_net_bind_service=+ep` as the kernel stores it (vfs_cap_data revision 2, effective). */
export const CAP_NET_BIND_SERVICE = Buffer.from([0x01, 0, 0, 0x02, 0x00, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

/** A POSIX ACL xattr (`setfacl -m u:<uid>:<perm>`): user::, user:uid:, group::, mask::, other::. */
export function acl(owner: number, uid: number, user: number, group: number, mask: number, other: number): Buffer {
  const e = (tag: number, perm: number, id: number) => {
    const x = Buffer.alloc(8);
    x.writeUInt16LE(tag, 0);
    x.writeUInt16LE(perm, 2);
    x.writeUInt32LE(id, 4);
    return x;
  };
  const head = Buffer.alloc(4);
  head.writeUInt32LE(2, 0);
  return Buffer.concat([head, e(0x01, owner, 0xffffffff), e(0x02, user, uid), e(0x04, group, 0xffffffff), e(0x10, mask, 0xffffffff), e(0x20, other, 0xffffffff)]);
}

function nsTree(root: string): void {
  fs.mkdirSync(join(root, 'dir/sub'), { recursive: true });
  fs.writeFileSync(join(root, 'dir/sub/a.txt'), 'a');
  fs.writeFileSync(join(root, 'dir/b.txt'), 'b'.repeat(2 * 1024 * 1024));
  fs.symlinkSync('dir/b.txt', join(root, 'link'));
  // 9 GiB with 3 bytes of data, and a file whose hole is in the middle.
  const fd = fs.openSync(join(root, 'dir/sparse.img'), 'w');
  fs.ftruncateSync(fd, 9 * 2 ** 30);
  fs.writeSync(fd, Buffer.from('abc'), 0, 3, 5 * 2 ** 30);
  fs.closeSync(fd);
  const fd2 = fs.openSync(join(root, 'holey.bin'), 'w');
  fs.writeSync(fd2, Buffer.alloc(70_000, 1), 0, 70_000, 0);
  fs.writeSync(fd2, Buffer.alloc(5000, 2), 0, 5000, 1024 * 1024);
  fs.closeSync(fd2);
  // xattrs with binary values, a capability, ACLs (access and default), an owner and setuid.
  fs.writeFileSync(join(root, 'cap-bin'), 'x');
  fs.chownSync(join(root, 'cap-bin'), 1234, 5678);
  fs.chmodSync(join(root, 'cap-bin'), 0o4755);
  fsx.setXattr(b(join(root, 'cap-bin')), b('user.blob'), Buffer.from([0, 0xff, 0x0a, 0x3d]));
  fsx.setXattr(b(join(root, 'cap-bin')), b('security.capability'), CAP_NET_BIND_SERVICE);
  fs.writeFileSync(join(root, 'acl.txt'), 'acl');
  fsx.setXattr(b(join(root, 'acl.txt')), b('system.posix_acl_access'), acl(0o6, 1000, 0o4, 0o4, 0o4, 0o4));
  fsx.setXattr(b(join(root, 'dir/sub')), b('system.posix_acl_default'), acl(0o7, 1000, 0o5, 0o5, 0o5, 0o5));
  // Times a double cannot hold: 1.7e9 s has ~240 ns resolution as a double.
  fsx.utimens(b(join(root, 'dir/sub/a.txt')), 1_700_000_000, 123_456_789, false);
  fsx.utimens(b(join(root, 'dir/b.txt')), 1_700_000_001, 1, false);
  fsx.utimens(b(join(root, 'link')), 1_700_000_002, 999_999_999, false);
  fsx.utimens(b(join(root, 'dir/sub')), 1_600_000_000, 5, false);
  fsx.utimens(b(join(root, 'dir')), 1_600_000_001, 700_000_001, false);
}

async function roundTrip(src: string, dst: string): Promise<Buffer> {
  const pack = makePack();
  const walking = packTree(pack, src, { exclude: () => false }).then(() => pack.finalize());
  const chunks: Buffer[] = [];
  for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c);
  await walking;
  const tar = Buffer.concat(chunks);
  await extractTar(Readable.from([tar]), dst);
  return tar;
}

function scratch(): { base: string; src: string; dst: string } {
  const base = fs.mkdtempSync(join(tmpdir(), 'ds-fid-'));
  const src = join(base, 'src');
  const dst = join(base, 'dst');
  fs.mkdirSync(src);
  fs.mkdirSync(dst);
  return { base, src, dst };
}

test('mtimes to the nanosecond (files, directories, symlinks), sparse files (holes kept), xattrs, capabilities and ACLs round-trip', async () => {
  const { base, src, dst } = scratch();
  try {
    nsTree(src);
    const t0 = Date.now();
    const tar = await roundTrip(src, dst);
    const took = Date.now() - t0;
    const want = metaSnapshot(src);
    assert.match(want.get('dir/sub/a.txt') ?? '', /^100644 0:0 1 1700000000123456789 /);
    assert.match(want.get('dir/sparse.img') ?? '', / sparse 5368709120\+4096:/);
    assert.match(want.get('cap-bin') ?? '', /^104755 1234:5678 .*security\.capability=.*user\.blob=00ff0a3d/);
    assert.match(want.get('acl.txt') ?? '', /system\.posix_acl_access=/);
    assert.match(want.get('dir/sub') ?? '', /system\.posix_acl_default=/);
    assert.deepEqual(metaSnapshot(dst), want);
    // The 9 GiB file is a few blocks in the archive and on disk, and takes no time.
    assert.ok(tar.length < 4 * 1024 * 1024, `archive is ${tar.length} bytes`);
    assert.ok(fs.statSync(join(dst, 'dir/sparse.img')).blocks * 512 <= 64 * 1024);
    assert.ok(took < 3000, `round trip took ${took} ms`);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('GNU tar -xzf reads our archive: tree, holes, nanosecond times, xattrs and ACLs', async () => {
  const { base, src, dst } = scratch();
  try {
    nsTree(src);
    const pack = makePack();
    const walking = packTree(pack, src, { exclude: () => false }).then(() => pack.finalize());
    const chunks: Buffer[] = [];
    for await (const c of compressStream(pack as unknown as AsyncIterable<Buffer>, 'gzip', 6)) chunks.push(c);
    await walking;
    fs.writeFileSync(join(base, 'a.tar.gz'), Buffer.concat(chunks));
    const r = spawnSync('tar', ['-xzf', join(base, 'a.tar.gz'), '-C', dst, '--xattrs', '--xattrs-include=*'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.deepEqual(metaSnapshot(dst), metaSnapshot(src));
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('we read what GNU tar writes (--posix --sparse --sparse-version=1.0 --xattrs): holes, times, xattrs, raw names', async () => {
  const { base, src, dst } = scratch();
  try {
    nsTree(src);
    fs.writeFileSync(Buffer.concat([b(`${src}/bad-`), Buffer.from([0xff, 0xfe])]), 'raw');
    fsx.utimens(Buffer.concat([b(`${src}/bad-`), Buffer.from([0xff, 0xfe])]), 1_700_000_009, 9, false);
    fsx.utimens(b(src), 1_500_000_000, 1, false);
    const tgz = join(base, 'gnu.tar.gz');
    const r = spawnSync('tar', ['--posix', '--sparse', '--sparse-version=1.0', '--xattrs', '--xattrs-include=*', '-czf', tgz, '-C', src, '.'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const { decompressStream } = await import('./compress.js');
    await extractTar(Readable.from(decompressStream(fs.createReadStream(tgz) as AsyncIterable<Buffer>, 'gzip'), { objectMode: false }), dst);
    assert.deepEqual(metaSnapshot(dst), metaSnapshot(src));
    assert.ok(fs.statSync(join(dst, 'dir/sparse.img')).blocks * 512 <= 64 * 1024);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('without SEEK_HOLE, holes are found as runs of zero blocks and restored as holes', async () => {
  const { base, src, dst } = scratch();
  try {
    // Zero blocks written as data (no holes on disk): what a file system without SEEK_HOLE reports.
    const p = join(src, 'zeros.bin');
    const fd = fs.openSync(p, 'w');
    fs.writeSync(fd, Buffer.alloc(3 * 1024 * 1024), 0, 3 * 1024 * 1024, 0);
    fs.writeSync(fd, Buffer.from('data'), 0, 4, 1024 * 1024 + 10);
    fs.closeSync(fd);
    const { zeroRunSegments, writeSparse } = await import('./sparse.js');
    const rfd = fs.openSync(p, 'r');
    const segs = zeroRunSegments(rfd, 3 * 1024 * 1024);
    assert.deepEqual(segs, [[1024 * 1024, 4096]]);
    const pack = makePack();
    const writing = writeSparse(pack, rfd, { name: 'zeros.bin', mode: 0o644, uid: 0, gid: 0, mtime: new Date(0) }, 3 * 1024 * 1024, segs ?? [], () => undefined).then(() =>
      pack.finalize(),
    );
    const chunks: Buffer[] = [];
    for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c);
    await writing;
    fs.closeSync(rfd);
    await extractTar(Readable.from([Buffer.concat(chunks)]), dst);
    assert.ok(fs.readFileSync(join(dst, 'zeros.bin')).equals(fs.readFileSync(p)));
    assert.ok(fs.statSync(join(dst, 'zeros.bin')).blocks * 512 <= 16 * 1024, 'restored with holes');
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});
