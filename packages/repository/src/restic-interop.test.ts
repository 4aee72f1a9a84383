/**
 * The repository against the real restic 0.14: what we write restic checks, restores and backs up
 * on top of; what restic writes we restore; damage is refused. Small data (a few MiB) and cheap
 * scrypt parameters keep it fast; the restic binary is required (a clear failure without it).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, rmSync, truncateSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Archiver } from './archiver.js';
import { Chunker, chunkerTables, MAX_SIZE, MIN_SIZE } from './chunker.js';
import { DirBackend } from './dir-backend.js';
import { lockRepository } from './lock.js';
import { CorruptRepositoryError, WrongPasswordError } from './errors.js';
import type { IndexJson } from './master-index.js';
import { Repository } from './repository.js';
import { Restorer } from './restorer.js';
import { describe as describeTree, makeFixture } from './testing/fixture.js';
import { testFsx } from './testing/fsx.js';
import { passwordFile, restic } from './testing/restic.js';

const KDF = { N: 1024, r: 8, p: 1 };
const PASSWORD = 'correct horse';
const fsx = testFsx();

/**
 * restic tunes scrypt to about 0.5 s and pays it on every command: swap the key restic made for a
 * cheap one with the same password, so the restic commands that follow start fast.
 */
async function cheapenKey(dir: string): Promise<void> {
  const repo = await Repository.open(new DirBackend(dir), PASSWORD);
  const old = repo.keyId;
  await repo.addKey(PASSWORD, KDF);
  await repo.backend.remove('key', old);
}

describe('restic interop', () => {
  let work: string;
  let src: string;
  let repoDir: string;
  let pw: string;
  let ourSnapshot: string;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'dockside-repo-'));
    src = join(work, 'src');
    makeFixture(src, fsx);
    repoDir = join(work, 'repo');
    pw = passwordFile(work, PASSWORD);
    const repo = await Repository.init(new DirBackend(repoDir), PASSWORD, { kdf: KDF });
    ourSnapshot = (await Archiver.backup(repo, { roots: [{ source: src, path: src }], hostname: 'host-a', tags: ['t1'], fsx })).id;
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('writes a repository that restic check --read-data passes', () => {
    const r = restic(repoDir, pw, ['check', '--read-data']);
    assert.match(r.stdout, /no errors were found/);
    const snaps = JSON.parse(restic(repoDir, pw, ['snapshots', '--json']).stdout) as Array<{ id: string; tags: string[]; hostname: string; paths: string[] }>;
    assert.equal(snaps.length, 1);
    assert.deepEqual([snaps[0]?.id, snaps[0]?.hostname, snaps[0]?.paths, snaps[0]?.tags], [ourSnapshot, 'host-a', [src], ['t1']]);
  });

  it('restic restore of our snapshot gives the source back attribute for attribute', () => {
    const target = join(work, 'restic-restore');
    restic(repoDir, pw, ['restore', ourSnapshot, '--target', target]);
    const want = describeTree(src, fsx);
    const got = describeTree(join(target, src), fsx);
    // restic 0.14 restores holes as written zeros (sparse restore came in 0.15): compare that apart.
    for (const d of [...Object.values(want), ...Object.values(got)]) delete d.sparse;
    assert.deepEqual(got, want);
  });

  it('we restore our snapshot attribute for attribute, holes kept sparse', async () => {
    const repo = await Repository.open(new DirBackend(repoDir), PASSWORD);
    const target = join(work, 'our-restore');
    await Restorer.restore(repo, ourSnapshot, target, { fsx });
    const want = describeTree(src, fsx);
    const got = describeTree(join(target, src), fsx);
    assert.deepEqual(got, want);
    assert.equal(got['sparse']?.sparse, true);
    assert.ok(Object.keys(want).includes(`hex:${Buffer.from('not-utf8-\xff\xfe\ttab', 'latin1').toString('hex')}`), 'the fixture has a name that is not UTF-8');
  });

  it('restic backup after ours (same host, paths, parent) finds every file unmodified and adds no data, and back', async () => {
    const copy = join(work, 'repo-after');
    cpSync(repoDir, copy, { recursive: true });
    const r = restic(copy, pw, ['backup', '--host', 'host-a', '--json', src]);
    const summary = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((m) => m.message_type === 'summary');
    assert.ok(summary, r.stdout);
    assert.equal(summary.files_new, 0);
    assert.equal(summary.files_changed, 0);
    assert.ok((summary.files_unmodified as number) > 5);
    // only tree blobs may be new (atimes of directories moved); no data blob
    const blobs = restic(copy, pw, ['list', 'blobs']).stdout;
    const before = restic(repoDir, pw, ['list', 'blobs']).stdout;
    const data = (s: string) =>
      s
        .split('\n')
        .filter((l) => l.startsWith('data '))
        .sort();
    assert.deepEqual(data(blobs), data(before));
    // and the other way round: restic's snapshot as our parent, nothing read again
    const repo = await Repository.open(new DirBackend(copy), PASSWORD);
    const ours = await Archiver.backup(repo, { roots: [{ source: src, path: src }], hostname: 'host-a', fsx });
    assert.equal(ours.snapshot.parent?.slice(0, 8), summary.snapshot_id);
    assert.equal(ours.stats.readBytes, 0);
  });

  it('cuts files exactly where restic does: the same data blob ids', async () => {
    // restic's own test polynomial and seeded data, so that content-defined cuts (not only the
    // 512 KiB minimum and the end of file) surely occur, on every run
    const pol = 0x3da3358b4dc173n;
    const cuts: number[] = [];
    const c = new Chunker(chunkerTables(pol));
    const data0 = readFileSync(join(src, 'random.bin'));
    for (let at = 0, from = 0; (at = c.next(data0, from)) > 0; from = at) cuts.push(at - from);
    assert.ok(
      cuts.some((n) => n > MIN_SIZE && n < MAX_SIZE),
      `content-defined cuts in random.bin: ${cuts.join(', ')}`,
    );
    const oursDir = join(work, 'repo-fixed-pol');
    const repo = await Repository.init(new DirBackend(oursDir), PASSWORD, { kdf: KDF, config: { version: 2, id: 'a'.repeat(64), chunkerPolynomial: pol } });
    await Archiver.backup(repo, { roots: [{ source: src, path: src }], hostname: 'x', fsx });
    const theirs = join(work, 'repo-restic-same-params');
    restic(theirs, pw, ['init', '--repository-version', '2', '--copy-chunker-params', '--from-repo', oursDir, '--from-password-file', pw]);
    await cheapenKey(theirs);
    restic(theirs, pw, ['backup', '--host', 'x', src]);
    const data = (repo: string) =>
      restic(repo, pw, ['list', 'blobs'])
        .stdout.split('\n')
        .filter((l) => l.startsWith('data '))
        .sort();
    const ours = data(oursDir);
    assert.ok(ours.length >= 8, 'the fixture has multi-chunk files');
    assert.deepEqual(ours, data(theirs));
  });

  it('backs up several roots under their mount paths into one snapshot restic restores', async () => {
    const dir = join(work, 'repo-roots');
    const repo = await Repository.init(new DirBackend(dir), PASSWORD, { kdf: KDF });
    const roots = [
      { source: join(src, 'dir'), path: '/data' },
      { source: join(src, 'empty-dir'), path: '/srv/www' },
      { source: join(src, 'text.txt'), path: '/srv/notes.txt' },
    ];
    const r = await Archiver.backup(repo, { roots, hostname: 'app', tags: ['container=app', 'image=nginx'], fsx });
    assert.deepEqual(r.snapshot.paths, ['/data', '/srv/notes.txt', '/srv/www']);
    assert.match(restic(dir, pw, ['check', '--read-data']).stdout, /no errors were found/);
    const listed = restic(dir, pw, ['ls', r.id])
      .stdout.split('\n')
      .filter((l) => l.startsWith('/'));
    assert.deepEqual(listed.slice(0, 4), ['/data', '/data/hardlink', '/data/sub', '/data/sub/deep']);
    assert.ok(listed.includes('/srv/www') && listed.includes('/srv/notes.txt'), listed.join(' '));
    const target = join(work, 'roots-restore');
    restic(dir, pw, ['restore', r.id, '--target', target]);
    assert.deepEqual(describeTree(join(target, 'data'), fsx), describeTree(join(src, 'dir'), fsx));
    assert.equal(readFileSync(join(target, 'srv/notes.txt'), 'utf8'), readFileSync(join(src, 'text.txt'), 'utf8'));
    // restic finds this snapshot as the parent of the same roots on the same host
    const again = await Archiver.backup(repo, { roots, hostname: 'app', fsx });
    assert.equal(again.snapshot.parent, r.id);
    assert.equal(again.stats.readBytes, 0);
    await assert.rejects(
      Archiver.backup(repo, {
        roots: [
          { source: src, path: '/data' },
          { source: src, path: '/data/x' },
        ],
        hostname: 'app',
      }),
      /overlap/,
    );
  });

  it('does not read the holes of sparse files', async () => {
    const repo = await Repository.init(new DirBackend(join(work, 'repo-sparse')), PASSWORD, { kdf: KDF });
    const sub = { roots: [{ source: join(src, 'sparse'), path: '/sparse' }], hostname: 'h', fsx };
    const r = await Archiver.backup(repo, sub);
    // the two data extents, rounded to the file system's 4 KiB blocks, of a 4 MiB file
    assert.ok(r.stats.readBytes >= 65536 + 4 && r.stats.readBytes <= 65536 + 2 * 4096, `read ${r.stats.readBytes} bytes`);
    assert.match(restic(join(work, 'repo-sparse'), pw, ['check', '--read-data']).stdout, /no errors were found/);
  });

  it('a second backup reads nothing unchanged and stores only what changed', async () => {
    const repoCopy = join(work, 'repo-incr');
    cpSync(repoDir, repoCopy, { recursive: true });
    const repo = await Repository.open(new DirBackend(repoCopy), PASSWORD);
    const again = await Archiver.backup(repo, { roots: [{ source: src, path: src }], hostname: 'host-a', fsx });
    assert.equal(again.stats.readBytes, 0);
    assert.equal(again.stats.unchangedFiles, again.stats.files);
    assert.equal(again.snapshot.parent, ourSnapshot);
    writeFileSync(join(src, 'dir/sub/deep'), 'changed content');
    try {
      const third = await Archiver.backup(repo, { roots: [{ source: src, path: src }], hostname: 'host-a', fsx });
      assert.equal(third.stats.readBytes, 'changed content'.length);
      assert.equal(third.stats.unchangedFiles, third.stats.files - 1);
    } finally {
      writeFileSync(join(src, 'dir/sub/deep'), 'deep');
    }
    assert.match(restic(repoCopy, pw, ['check', '--read-data']).stdout, /no errors were found/);
  });

  it('restores a snapshot restic wrote, also after restic forget --prune', async () => {
    const theirs = join(work, 'repo-restic');
    restic(theirs, pw, ['init', '--repository-version', '2']);
    await cheapenKey(theirs);
    restic(theirs, pw, ['backup', '--host', 'r', src]);
    const repo = await Repository.open(new DirBackend(theirs), PASSWORD);
    await Restorer.restore(repo, 'latest', join(work, 'from-restic'), { fsx });
    const want = describeTree(src, fsx);
    assert.deepEqual(describeTree(join(work, 'from-restic', src), fsx), want);
    // change a file, back up again, forget the first snapshot and prune: packs are repacked
    writeFileSync(join(src, 'random.bin'), readFileSync(join(src, 'random.bin')).subarray(0, 1024 * 1024));
    try {
      restic(theirs, pw, ['backup', '--host', 'r', src]);
      restic(theirs, pw, ['forget', '--keep-last', '1', '--prune']);
      const reopened = await Repository.open(new DirBackend(theirs), PASSWORD);
      await Restorer.restore(reopened, 'latest', join(work, 'from-restic-pruned'), { fsx });
      assert.deepEqual(describeTree(join(work, 'from-restic-pruned', src), fsx), describeTree(src, fsx));
    } finally {
      writeFileSync(join(src, 'random.bin'), readFileSync(join(work, 'from-restic', src, 'random.bin')));
    }
  });

  it('restores a snapshot of a version 1 repository (restic < 0.14, no compression)', async () => {
    const v1 = join(work, 'repo-v1');
    restic(v1, pw, ['init', '--repository-version', '1']);
    await cheapenKey(v1);
    restic(v1, pw, ['backup', '--host', 'r', src]);
    const repo = await Repository.open(new DirBackend(v1), PASSWORD);
    assert.equal(repo.config.version, 1);
    await Restorer.restore(repo, 'latest', join(work, 'from-v1'), { fsx });
    assert.deepEqual(describeTree(join(work, 'from-v1', src), fsx), describeTree(src, fsx));
  });

  it('restic honours our locks: no backup while we hold an exclusive one, no check while we hold a shared one', async () => {
    const repo = await Repository.open(new DirBackend(repoDir), PASSWORD);
    const x = await lockRepository(repo, { exclusive: true });
    try {
      const r = restic(repoDir, pw, ['backup', '--host', 'z', src], { allowFail: true });
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /locked exclusively/);
    } finally {
      await x.release();
    }
    const s = await lockRepository(repo, { exclusive: false });
    try {
      const r = restic(repoDir, pw, ['check'], { allowFail: true });
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /already locked/);
    } finally {
      await s.release();
    }
    assert.equal(restic(repoDir, pw, ['list', 'locks']).stdout.trim(), '', 'released locks are gone');
  });

  it('opens with a second key, refuses a wrong password with a typed error', async () => {
    const copy = join(work, 'repo-keys');
    cpSync(repoDir, copy, { recursive: true });
    const repo = await Repository.open(new DirBackend(copy), PASSWORD);
    const second = await repo.addKey('another one', KDF);
    assert.equal((await repo.listKeys()).length, 2);
    const pw2 = passwordFile(work, 'another one');
    assert.match(restic(copy, pw2, ['key', 'list']).stdout, new RegExp(second.slice(0, 8)));
    await assert.rejects(Repository.open(new DirBackend(copy), 'wrong'), (err: unknown) => err instanceof WrongPasswordError && err.exitCode === 2);
    await assert.rejects(repo.removeKey(repo.keyId), /cannot be removed/);
    await repo.removeKey(second);
    assert.equal(restic(copy, pw2, ['snapshots'], { allowFail: true }).status, 1);
  });
});

describe('damage is refused on restore', () => {
  let work: string;
  let repoDir: string;
  let snapshot: string;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'dockside-repo-bad-'));
    const src = join(work, 'src');
    makeFixture(src, fsx);
    repoDir = join(work, 'repo');
    const repo = await Repository.init(new DirBackend(repoDir), PASSWORD, { kdf: KDF });
    snapshot = (await Archiver.backup(repo, { roots: [{ source: src, path: src }], hostname: 'h', fsx })).id;
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  /** A copy of the repository, damaged by `damage`, and the error its restore gives. */
  async function restoreDamaged(name: string, damage: (dir: string, repo: Repository) => Promise<void>): Promise<unknown> {
    const dir = join(work, name);
    cpSync(repoDir, dir, { recursive: true });
    const repo = await Repository.open(new DirBackend(dir), PASSWORD);
    await damage(dir, repo);
    try {
      await Restorer.restore(await Repository.open(new DirBackend(dir), PASSWORD), snapshot, join(work, `${name}-target`), { fsx });
    } catch (err) {
      return err;
    }
    return undefined;
  }

  /** The largest pack: the data pack holding random.bin. */
  function biggestPack(dir: string): string {
    const files = readdirSync(join(dir, 'data'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    let best = '';
    let size = -1;
    for (const f of files) {
      const p = join(f.parentPath, f.name);
      const s = readFileSync(p).length;
      if (s > size) [best, size] = [p, s];
    }
    return best;
  }

  it('a flipped byte in a pack', async () => {
    const err = await restoreDamaged('flip', async (dir) => {
      const p = biggestPack(dir);
      const b = readFileSync(p);
      b[1000] = (b[1000] as number) ^ 0x01;
      writeFileSync(p, b);
    });
    assert.ok(err instanceof CorruptRepositoryError, String(err));
    assert.match(err.message, /MAC does not match/);
  });

  it('a wrong uncompressed_length in the index (which restic check does not see)', async () => {
    const err = await restoreDamaged('length', async (dir, repo) => {
      const [idx] = readdirSync(join(dir, 'index'));
      const json = await repo.loadJson<IndexJson>('index', idx as string);
      const blob = json.packs.flatMap((p) => p.blobs).find((b) => b.type === 'data' && b.uncompressed_length !== undefined);
      assert.ok(blob, 'a compressed data blob');
      blob.uncompressed_length = (blob.uncompressed_length as number) + 1;
      await repo.saveJson('index', json);
      rmSync(join(dir, 'index', idx as string));
    });
    assert.ok(err instanceof CorruptRepositoryError, String(err));
    assert.match(err.message, /decompresses to \d+ bytes, the index says \d+|does not decompress/);
  });

  it('a truncated pack', async () => {
    const err = await restoreDamaged('truncated', async (dir) => {
      const p = biggestPack(dir);
      truncateSync(p, Math.floor(readFileSync(p).length / 2));
    });
    assert.ok(err instanceof CorruptRepositoryError, String(err));
    assert.match(err.message, /truncated/);
  });

  it('a missing index', async () => {
    const err = await restoreDamaged('noindex', async (dir) => {
      for (const f of readdirSync(join(dir, 'index'))) rmSync(join(dir, 'index', f));
    });
    assert.ok(err instanceof CorruptRepositoryError, String(err));
    assert.match(err.message, /not in the index/);
  });
});
