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
  const walk = (rel: string) => {
    for (const n of fs.readdirSync(join(root, rel))) {
      const r = rel ? `${rel}/${n}` : n;
      const st = fs.lstatSync(join(root, r), { bigint: true });
      let extra = '';
      if (st.isFile()) {
        const fd = fs.openSync(join(root, r), 'r');
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
      out.set(r, `${st.mode.toString(8)} ${st.size} ${st.mtimeNs}${extra}`);
      if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  return out;
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

test('mtimes to the nanosecond (files, directories, symlinks) and sparse files (holes kept) round-trip', async () => {
  const { base, src, dst } = scratch();
  try {
    nsTree(src);
    const t0 = Date.now();
    const tar = await roundTrip(src, dst);
    const took = Date.now() - t0;
    const want = metaSnapshot(src);
    assert.equal(want.get('dir/sub/a.txt')?.startsWith('100644 1 1700000000123456789 '), true);
    assert.match(want.get('dir/sparse.img') ?? '', / sparse 5368709120\+4096:/);
    assert.deepEqual(metaSnapshot(dst), want);
    // The 9 GiB file is a few blocks in the archive and on disk, and takes no time.
    assert.ok(tar.length < 4 * 1024 * 1024, `archive is ${tar.length} bytes`);
    assert.ok(fs.statSync(join(dst, 'dir/sparse.img')).blocks * 512 <= 64 * 1024);
    assert.ok(took < 3000, `round trip took ${took} ms`);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('GNU tar -xzf reads our archive: tree, holes, nanosecond times', async () => {
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
