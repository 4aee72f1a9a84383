/**
 * Fidelity of the tar writer and reader on a real tree: nanosecond mtimes (files, directories,
 * symlinks), sparse files, xattrs; and GNU tar reading what we write (gzip on the host: its Node
 * may lack zstd; the zstd path is covered by the integration tests).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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
      out.set(r, `${st.mode.toString(8)} ${st.size} ${st.mtimeNs}`);
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

test('mtimes come back to the nanosecond on files, directories and symlinks', async () => {
  const { base, src, dst } = scratch();
  try {
    nsTree(src);
    await roundTrip(src, dst);
    const want = metaSnapshot(src);
    assert.equal(want.get('dir/sub/a.txt')?.endsWith(' 1700000000123456789'), true);
    assert.deepEqual(metaSnapshot(dst), want);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('GNU tar -xzf reads our archive: tree, nanosecond times', async () => {
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
