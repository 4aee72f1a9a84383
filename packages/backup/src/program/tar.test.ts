/** Round trip of the tar writer and reader on a real directory tree (gzip: the host's Node may lack zstd). */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { pack as makePack } from 'tar-stream';
import { ZstdFrameTracker, compressStream, decompressStream, zstdFrameLength } from './compress.js';
import { UserError } from '@dockside/common';
import { CorruptArchiveError } from '../errors.js';
import { entryPath, extractTar } from './tar-read.js';
import { packTree } from './tar-write.js';

function tree(root: string): void {
  fs.mkdirSync(join(root, 'dir/sub'), { recursive: true });
  fs.mkdirSync(join(root, 'empty'));
  fs.writeFileSync(join(root, 'dir/small.txt'), 'hello\n');
  // Not one repeated byte: a block written twice or out of order must show too.
  const big = Buffer.alloc(3 * 1024 * 1024 + 17);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 12)) & 0xff;
  fs.writeFileSync(join(root, 'big.bin'), big);
  fs.chmodSync(join(root, 'dir/small.txt'), 0o4751);
  fs.chmodSync(join(root, 'empty'), 0o1777);
  fs.symlinkSync('dir/small.txt', join(root, 'link'));
  fs.symlinkSync(`${'t'.repeat(150)}/target`, join(root, 'longlink'));
  fs.linkSync(join(root, 'dir/small.txt'), join(root, 'hard'));
  const long = `${'d'.repeat(120)}/${'f'.repeat(150)}.txt`;
  fs.mkdirSync(join(root, 'd'.repeat(120)));
  fs.writeFileSync(join(root, long), 'long');
  // A name that is not UTF-8.
  fs.writeFileSync(Buffer.concat([Buffer.from(`${root}/bad-`), Buffer.from([0xff, 0xfe]), Buffer.from('.txt')]), 'raw');
  fs.utimesSync(join(root, 'dir/small.txt'), new Date('2020-01-02T03:04:05Z'), new Date('2020-01-02T03:04:05Z'));
  fs.utimesSync(join(root, 'dir'), new Date('2021-01-02T03:04:05Z'), new Date('2021-01-02T03:04:05Z'));
}

function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: Buffer) => {
    const abs = Buffer.concat([Buffer.from(root), rel.length ? Buffer.from('/') : Buffer.alloc(0), rel]);
    for (const n of fs.readdirSync(abs, { encoding: 'buffer' })) {
      const r = rel.length ? Buffer.concat([rel, Buffer.from('/'), n]) : n;
      const p = Buffer.concat([Buffer.from(root), Buffer.from('/'), r]);
      const st = fs.lstatSync(p);
      let extra = '';
      // The whole content (hashed) and the size: a byte changed anywhere in a file shows.
      if (st.isFile()) extra = `${createHash('sha256').update(fs.readFileSync(p)).digest('hex')} ${st.size} n${st.nlink}`;
      if (st.isSymbolicLink()) extra = fs.readlinkSync(p).toString();
      const mtime = st.isSymbolicLink() ? '' : String(Math.floor(st.mtimeMs / 1000));
      out.set(r.toString('hex'), `${(st.mode & 0o177777).toString(8)} ${st.uid}:${st.gid} ${mtime} ${extra}`);
      if (st.isDirectory()) walk(r);
    }
  };
  walk(Buffer.alloc(0));
  return out;
}

test('a tree survives pack -> gzip -> gunzip -> extract, byte for byte and mode for mode', async () => {
  const base = fs.mkdtempSync(join(tmpdir(), 'ds-tar-'));
  const src = join(base, 'src');
  const dst = join(base, 'dst');
  fs.mkdirSync(src);
  fs.mkdirSync(dst);
  tree(src);
  try {
    const pack = makePack();
    const walking = packTree(pack, src, { exclude: () => false, smallFile: 1024 }).then((s) => {
      pack.finalize();
      return s;
    });
    const chunks: Buffer[] = [];
    for await (const c of compressStream(pack as unknown as AsyncIterable<Buffer>, 'gzip', 1, { blockSize: 256 * 1024 })) chunks.push(c);
    const stats = await walking;
    assert.deepEqual(stats.entries, { files: 4, dirs: 5, symlinks: 2, hardlinks: 1 });
    const gz = Buffer.concat(chunks);
    assert.ok(chunks.length > 2, 'several gzip members');
    const res = await extractTar(Readable.from(decompressStream(Readable.from([gz]), 'gzip')), dst);
    assert.deepEqual(res.entries, stats.entries);
    assert.ok(res.root);
    const want = snapshot(src);
    assert.deepEqual(snapshot(dst), want);
    // The comparison sees a single byte changed deep inside a file (not only its first bytes).
    const fd = fs.openSync(join(dst, 'big.bin'), 'r+');
    fs.writeSync(fd, Buffer.from([8]), 0, 1, 2 * 1024 * 1024 + 5);
    fs.closeSync(fd);
    assert.notDeepEqual(snapshot(dst), want);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('entry paths that escape the destination are refused', () => {
  assert.equal(entryPath(Buffer.from('./')), undefined);
  assert.equal(entryPath(Buffer.from('a//b/./c/'))?.toString(), 'a/b/c');
  assert.throws(
    () => entryPath(Buffer.from('a/../../etc/passwd')),
    (e: unknown) => e instanceof CorruptArchiveError && e instanceof UserError && e.code === 'ECORRUPT' && Boolean(e.hint),
  );
});

test('sockets and FIFOs are reported, not archived', async () => {
  const base = fs.mkdtempSync(join(tmpdir(), 'ds-tar-'));
  const net = await import('node:net');
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(join(base, 'sock'), r));
  try {
    fs.writeFileSync(join(base, 'f'), 'x');
    const pack = makePack();
    const walking = packTree(pack, base, { exclude: () => false }).then((s) => {
      pack.finalize();
      return s;
    });
    for await (const _ of pack as unknown as AsyncIterable<Buffer>) void _;
    const s = await walking;
    assert.equal(s.skippedCount, 1);
    assert.deepEqual(s.skipped, [{ path: 'sock', type: 'socket' }]);
    assert.equal(s.entries.files, 1);
  } finally {
    server.close();
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('zstd frame boundaries are found from headers alone', () => {
  // A frame with one raw block of 5 bytes ("hello"), single segment, 1-byte content size, no checksum.
  const frame = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x05, 0x29, 0x00, 0x00, ...Buffer.from('hello')]);
  assert.equal(zstdFrameLength(frame), frame.length);
  assert.equal(zstdFrameLength(frame.subarray(0, 8)), undefined);
  assert.equal(zstdFrameLength(Buffer.concat([frame, frame])), frame.length);
  const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 9, 9]);
  assert.equal(zstdFrameLength(skippable), 10);
  assert.throws(() => zstdFrameLength(Buffer.from('not zstd')), /magic/);
});

test('zstd frame boundaries are tracked across any chunking', () => {
  // Frame A: single segment, 1-byte content size, one raw last block "hello".
  const a = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x05, 0x29, 0x00, 0x00, ...Buffer.from('hello')]);
  // Skippable frame with 3 bytes of payload.
  const sk = Buffer.from([0x5a, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
  // Frame B: window descriptor, checksum flag, a raw block of 4 bytes, an RLE last block, checksum.
  const b = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x50, 0x20, 0x00, 0x00, 1, 2, 3, 4, 0x1b, 0x00, 0x00, 0x61, 9, 9, 9, 9]);
  const all = Buffer.concat([a, sk, b]);
  const ends = [a.length, a.length + sk.length, all.length];
  for (let size = 1; size <= all.length; size++) {
    const t = new ZstdFrameTracker();
    const seen: number[] = [];
    let pos = 0;
    for (let c = 0; c < all.length; c += size) {
      const chunk = all.subarray(c, Math.min(all.length, c + size));
      let off = 0;
      while (off < chunk.length) {
        const [n, ended] = t.feed(chunk, off);
        off += n;
        pos += n;
        if (ended) seen.push(pos);
        if (n === 0 && !ended) break;
      }
    }
    assert.deepEqual(seen, ends, `chunk size ${size}`);
    assert.ok(t.atBoundary);
  }
});

test('a file over 8 GiB gets a base-256 size in its header (ustar octal stops at 8 GiB)', async () => {
  const pack = makePack();
  const size = 9 * 1024 ** 3 + 5;
  pack.entry({ name: 'huge.bin', type: 'file', size, mode: 0o100644 } as never);
  const first = await new Promise<Buffer>((resolve) => {
    (pack as unknown as NodeJS.EventEmitter).once('data', (c: Buffer) => resolve(c));
  });
  pack.destroy();
  const header = first.subarray(0, 512);
  assert.equal(header.subarray(0, 8).toString(), 'huge.bin');
  assert.equal(header[124], 0x80, 'base-256 marker');
  let n = 0;
  for (let i = 125; i < 136; i++) n = n * 256 + (header[i] as number);
  assert.equal(n, size);
});

test('a file that changes while it is read: a warning per file (for --strict), and the archive stays valid and complete', async () => {
  const size = 3 * 1024 * 1024;
  const body = Buffer.alloc(size);
  for (let i = 0; i < size; i++) body[i] = (i * 7 + 1) & 0xff;
  const cases: Array<[string, (file: string) => void, RegExp | undefined]> = [
    ['grows', (f) => fs.appendFileSync(f, 'more'), /grew while being read|file changed as we read it/],
    ['shrinks', (f) => fs.truncateSync(f, 1000), /shrank while being read; padded with zeros/],
    ['is touched', (f) => fs.utimesSync(f, new Date('2001-01-01'), new Date('2001-01-01')), /file changed as we read it/],
    ['is deleted', (f) => fs.unlinkSync(f), /deleted or replaced while being read/],
    ['is replaced', (f) => (fs.writeFileSync(`${f}.new`, 'other'), fs.renameSync(`${f}.new`, f)), /deleted or replaced while being read/],
    ['stays as it is', () => undefined, undefined],
  ];
  for (const [what, change, expected] of cases) {
    const base = fs.mkdtempSync(join(tmpdir(), 'ds-tar-chg-'));
    try {
      const src = join(base, 'src');
      fs.mkdirSync(src);
      fs.writeFileSync(join(src, 'f.bin'), body);
      fs.writeFileSync(join(src, 'z.txt'), 'after\n');
      let changed = false;
      const pack = makePack();
      const walking = packTree(pack, src, {
        exclude: () => false,
        smallFile: 1024,
        onProgress: (files, bytes) => {
          if (!changed && files === 0 && bytes > 0) {
            changed = true;
            change(join(src, 'f.bin'));
          }
        },
      }).then((s) => {
        pack.finalize();
        return s;
      });
      const chunks: Buffer[] = [];
      for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c as Buffer);
      const stats = await walking;
      if (expected) {
        assert.deepEqual(stats.changed, ['f.bin'], `${what}: ${JSON.stringify(stats.warnings)}`);
        assert.equal(stats.changedCount, 1, what);
        assert.match(stats.warnings.join('\n'), expected, what);
      } else {
        assert.deepEqual(stats.changed, [], `${what}: ${JSON.stringify(stats.warnings)}`);
      }
      const dst = join(base, 'dst');
      fs.mkdirSync(dst);
      const res = await extractTar(Readable.from([Buffer.concat(chunks)]), dst);
      assert.equal(res.entries.files, 2, `${what}: every file still in a valid archive`);
      assert.equal(fs.statSync(join(dst, 'f.bin')).size, size, `${what}: the header's size`);
      assert.equal(fs.readFileSync(join(dst, 'z.txt'), 'utf8'), 'after\n', what);
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  }
});
