/**
 * `dockside backup --to <repository>` and `dockside restore --from <repository>` against a real
 * engine, with Debian's restic as the independent reader and writer: every repository written
 * passes `restic check --read-data`; restic's restore and dockside's give the fidelity fixture
 * back attribute for attribute; restic backing up the same tree after dockside (same host and
 * paths) finds every file unmodified; dockside restores what restic wrote, and backs up
 * incrementally after a `restic prune`; damage (a flipped byte, a wrong uncompressed_length, a
 * truncated pack, a missing index or pack) is refused before the volume is touched, naming the
 * files; a live restic exclusive lock stops dockside with exit 5.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RUN_ID, RUN_LABEL, cleanupRun, createVolume, docker, requireEngine, runCli, startFixture } from '../support/engine.js';
import { BASE_IMAGE, FIDELITY_FIXTURE_JS, FIDELITY_SNAPSHOT_JS, runInBackupImage, type FidelityEntry } from './backup-support.js';
import { DirBackend, loadIndexFiles, Repository } from '../../packages/repository/src/index.js';

const label = `${RUN_LABEL}=${RUN_ID}`;
const oneLine = (stderr: string) =>
  stderr
    .trim()
    .split('\n')
    .filter((l) => l.trim() && !l.trim().startsWith('hint:')).length === 1;
const noPw = { DOCKSIDE_REPO_PASSWORD_FILE: '', RESTIC_PASSWORD_FILE: '', RESTIC_PASSWORD: '' };
const snapshotDir = (dir: string): FidelityEntry[] => JSON.parse(runInBackupImage(label, ['-v', `${dir}:/v:ro`], FIDELITY_SNAPSHOT_JS, '/v')) as FidelityEntry[];
const snapshotVolume = (vol: string): FidelityEntry[] => snapshotDir(vol);

function restic(repo: string, pw: string, ...args: string[]) {
  const r = spawnSync('restic', ['-r', repo, '--no-cache', ...args], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', RESTIC_PASSWORD_FILE: pw },
  });
  if (r.error) throw new Error('this test needs the restic binary (Debian: apt-get install restic; scripts/setup.sh installs it)');
  return r;
}
function checkReadData(repo: string, pw: string): void {
  const c = restic(repo, pw, 'check', '--read-data');
  assert.equal(c.status, 0, `restic check --read-data: ${c.stdout}${c.stderr}`);
}
function packs(repo: string): string[] {
  const base = join(repo, 'data');
  return readdirSync(base).flatMap((d) => readdirSync(join(base, d)).map((f) => join(base, d, f)));
}
const largest = (repo: string) => packs(repo).sort((a, b) => statSync(b).size - statSync(a).size)[0] as string;

describe('backup to a repository (restic format) with a real engine and restic', { timeout: 300_000 }, () => {
  let tmp: string;
  let src: string;
  let repo: string;
  let pw: string;
  let app: string;
  let original: FidelityEntry[];
  let first: { id: string; files: number };
  let second: { id: string };
  let resticSnap: string;
  const cli = (args: string[]) => runCli(args, { env: noPw });

  before(async () => {
    await requireEngine();
    tmp = mkdtempSync(join(tmpdir(), 'ds-repo-it-'));
    // A bind mount at the same path inside and out, so restic on the host sees the very paths
    // (and inodes) the sidecar saw.
    src = join(tmp, 'src');
    mkdirSync(src);
    runInBackupImage(label, ['-v', `${src}:/data`], FIDELITY_FIXTURE_JS, '/data', String(64 * 2 ** 20));
    repo = join(tmp, 'repo');
    pw = join(tmp, 'pw');
    writeFileSync(pw, `pw-${RUN_ID}\n`);
    const init = await cli(['repo', 'init', repo, '--password-file', pw]);
    assert.equal(init.code, 0, init.stderr);
    app = startFixture('rapp', ['--init', '-v', `${src}:${src}`, BASE_IMAGE, 'sleep', 'infinity']);
    original = snapshotDir(src);
  });

  after(() => {
    cleanupRun();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('two backups: the second reads nothing again; restic check --read-data passes; restic restores it attribute for attribute', async () => {
    const b1 = await cli(['backup', app, '--to', repo, '--password-file', pw, '--json']);
    assert.equal(b1.code, 0, b1.stderr);
    first = JSON.parse(b1.stdout);
    const s1 = JSON.parse(b1.stdout);
    assert.ok(s1.files >= 8 && s1.unchangedFiles === 0, b1.stdout);
    assert.deepEqual(s1.paths, [src]);
    assert.ok(s1.tags.includes(`container=${app}`) && s1.tags.includes(`image=${BASE_IMAGE}`), s1.tags.join());
    assert.equal(s1.hostname, app);
    checkReadData(repo, pw);
    const b2 = await cli(['backup', app, '--to', repo, '--password-file', pw, '--json']);
    assert.equal(b2.code, 0, b2.stderr);
    const s2 = JSON.parse(b2.stdout);
    second = s2;
    assert.equal(s2.parent, s1.id);
    assert.equal(s2.unchangedFiles, s2.files);
    assert.equal(s2.readBytes, 0);
    // Only trees are new (the mirrored parents /tmp... have new times): no file content.
    assert.ok(s2.newBytes < 64 * 1024, b2.stdout);
    checkReadData(repo, pw);

    const out = join(tmp, 'restic-out');
    const r = restic(repo, pw, 'restore', s2.id, '--target', out);
    assert.equal(r.status, 0, r.stderr);
    // restic 0.14 has no --sparse: it writes the sparse file's holes as zeros. Its content is compared.
    const bySparse = (es: FidelityEntry[]) =>
      es.map((e) => (e.path === Buffer.from('sparse.img').toString('hex') ? { ...e, data: 'compared below', sparse: 'restic 0.14 fills holes' } : e));
    const back = snapshotDir(join(out, src));
    assert.deepEqual(bySparse(back), bySparse(original));
    const rs = readFileSync(join(out, src, 'sparse.img'));
    const os = readFileSync(join(src, 'sparse.img'));
    assert.ok(rs.equals(os), 'same content');
  });

  test('dockside restore gives the source back into a new volume, attribute for attribute', async () => {
    const into = `dstest-${RUN_ID}-rinto`;
    const r = await cli(['restore', app, '--from', repo, '--password-file', pw, '--id', second.id.slice(0, 8), '--into-volume', into]);
    try {
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(snapshotVolume(into), original);
    } finally {
      spawnSync('docker', ['volume', 'rm', '-f', into], { stdio: 'ignore' });
    }
  });

  test('restic backup of the same tree after ours (same host and paths) finds every file unmodified; dockside restores that snapshot', async () => {
    const r = restic(repo, pw, 'backup', '--host', app, '--json', src);
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout.trim().split('\n').pop() as string);
    assert.equal(summary.message_type, 'summary');
    assert.equal(summary.files_new, 0, r.stdout.slice(-400));
    assert.equal(summary.files_changed, 0);
    assert.equal(summary.files_unmodified, first.files);
    resticSnap = JSON.parse(restic(repo, pw, 'snapshots', '--json', '--latest', '1').stdout).find((x: { id: string }) => x.id.startsWith(summary.snapshot_id)).id;
    checkReadData(repo, pw);

    const into = `dstest-${RUN_ID}-rfromrestic`;
    const d = await cli(['restore', app, '--from', repo, '--password-file', pw, '--id', resticSnap, '--into-volume', into]);
    try {
      assert.equal(d.code, 0, d.stderr);
      assert.deepEqual(snapshotVolume(into), original);
    } finally {
      spawnSync('docker', ['volume', 'rm', '-f', into], { stdio: 'ignore' });
    }
    const ls = await cli(['backup', 'ls', '--from', repo, '--password-file', pw, '--json']);
    assert.equal(ls.code, 0, ls.stderr);
    assert.deepEqual(
      JSON.parse(ls.stdout).snapshots.map((s: { id: string }) => s.id),
      [first.id, second.id, resticSnap],
    );
  });

  test('restic prune between two dockside backups; the next one is still incremental; dockside prune and verify after', async () => {
    // Change one file, back up, let restic forget all but the newest and prune (it repacks).
    docker('exec', app, 'sh', '-c', `head -c 3000000 /dev/urandom > '${src}/dir/b.bin'`);
    const b3 = await cli(['backup', app, '--to', repo, '--password-file', pw, '--json']);
    assert.equal(b3.code, 0, b3.stderr);
    const s3 = JSON.parse(b3.stdout);
    const f = restic(repo, pw, 'forget', '--keep-last', '1', '--prune');
    assert.equal(f.status, 0, f.stderr);
    assert.match(f.stdout, /remove \d+ snapshots|removed/i);
    docker('exec', app, 'sh', '-c', `echo more >> '${src}/dir/sub/a.txt'`);
    const b4 = await cli(['backup', app, '--to', repo, '--password-file', pw, '--json']);
    assert.equal(b4.code, 0, b4.stderr);
    const s4 = JSON.parse(b4.stdout);
    assert.equal(s4.parent, s3.id);
    assert.equal(s4.unchangedFiles, s4.files - 1, b4.stdout);
    checkReadData(repo, pw);

    const p = await cli(['backup', 'prune', '--from', repo, '--password-file', pw, '--keep-last', '1', '--json']);
    assert.equal(p.code, 0, p.stderr);
    const pr = JSON.parse(p.stdout);
    assert.deepEqual(pr.stats.forgotten, [s3.id]);
    assert.ok(pr.stats.packsRemoved >= 1, p.stdout);
    checkReadData(repo, pw);
    const snaps = JSON.parse(restic(repo, pw, 'snapshots', '--json').stdout).map((s: { id: string }) => s.id);
    assert.deepEqual(snaps, [s4.id]);
    const v = await cli(['backup', 'verify', '--from', repo, '--password-file', pw]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /repository verified/);

    const into = `dstest-${RUN_ID}-rafterprune`;
    const d = await cli(['restore', app, '--from', repo, '--password-file', pw, '--into-volume', into]);
    try {
      assert.equal(d.code, 0, d.stderr);
      assert.deepEqual(snapshotVolume(into), snapshotDir(src));
    } finally {
      spawnSync('docker', ['volume', 'rm', '-f', into], { stdio: 'ignore' });
    }
  });

  describe('damage and bad input', () => {
    let vol: string;
    let vapp: string;
    let repo2: string;
    let live: FidelityEntry[];

    before(async () => {
      vol = createVolume('rdmg');
      docker(
        'run',
        '--rm',
        '--label',
        label,
        '-v',
        `${vol}:/data`,
        BASE_IMAGE,
        'sh',
        '-c',
        'head -c 2000000 /dev/urandom > /data/big.bin; seq 1 20000 > /data/text.txt; mkdir /data/d; echo x > /data/d/small',
      );
      vapp = startFixture('rdmg', ['--init', '-v', `${vol}:/data`, BASE_IMAGE, 'sleep', 'infinity']);
      repo2 = join(tmp, 'repo2');
      assert.equal((await cli(['repo', 'init', repo2, '--password-file', pw])).code, 0);
      const b = await cli(['backup', vapp, '--to', repo2, '--password-file', pw]);
      assert.equal(b.code, 0, b.stderr);
      checkReadData(repo2, pw);
      // The volume moves on after the backup: a restore would change it.
      docker('exec', vapp, 'sh', '-c', 'echo after > /data/new.txt; echo changed > /data/d/small');
      live = snapshotVolume(vol);
    });

    const damaged = async (name: string, damage: (dir: string) => void | Promise<void>) => {
      const dir = join(tmp, `dmg-${name}`);
      cpSync(repo2, dir, { recursive: true });
      await damage(dir);
      return dir;
    };
    const rewriteIndex = async (dir: string, edit: (b: { uncompressed_length?: number; type: string }) => void) => {
      const r = await Repository.open(new DirBackend(dir), readFileSync(pw, 'utf8').trim());
      for (const { id, json } of await loadIndexFiles(r)) {
        for (const p of json.packs) for (const b of p.blobs) edit(b);
        await r.saveJson('index', json);
        await r.backend.remove('index', id);
      }
    };

    const cases: Array<[string, (dir: string) => void | Promise<void>, RegExp]> = [
      [
        'flipped byte in a pack',
        (dir) => {
          const p = largest(dir);
          const buf = readFileSync(p);
          const at = Math.floor(buf.length / 3);
          buf[at] = (buf[at] ?? 0) ^ 0x40;
          writeFileSync(p, buf);
        },
        /\/big\.bin: data blob [0-9a-f]{8} in pack [0-9a-f]{8}.*(MAC|does not match)/,
      ],
      [
        'wrong uncompressed_length',
        (dir) =>
          rewriteIndex(dir, (b) => {
            if (b.type === 'data' && b.uncompressed_length !== undefined) b.uncompressed_length += 1;
          }),
        /\/text\.txt: data blob .*(decompresses to|does not decompress)/,
      ],
      ['truncated pack', (dir) => truncateSync(largest(dir), Math.floor(statSync(largest(dir)).size / 2)), /\/big\.bin: .*truncated/],
      ['missing index', (dir) => rmSync(join(dir, 'index'), { recursive: true }), /not in the index/],
    ];
    for (const [name, damage, message] of cases) {
      test(`${name}: restore refused on one line, the volume untouched`, async () => {
        const dir = await damaged(name.replace(/\W+/g, '-'), damage);
        const r = await cli(['restore', vapp, '--from', dir, '--password-file', pw, '--yes']);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, message);
        assert.match(r.stderr, /nothing was changed/);
        assert.ok(oneLine(r.stderr), r.stderr);
        assert.deepEqual(snapshotVolume(vol), live, 'the volume is as it was');
        assert.equal(docker('inspect', '-f', '{{.State.Running}}', vapp), 'true', 'the target runs again');
      });
    }

    test('verify names the files a flipped byte or a missing pack affects', async () => {
      const flipped = await damaged('vflip', (dir) => {
        const p = largest(dir);
        const buf = readFileSync(p);
        buf[100] = (buf[100] ?? 0) ^ 1;
        writeFileSync(p, buf);
      });
      const v = await cli(['backup', 'verify', '--from', flipped, '--password-file', pw]);
      assert.equal(v.code, 1, v.stdout + v.stderr);
      assert.match(v.stdout, /affected: snapshot [0-9a-f]{8}:\/data\/big\.bin/);
      const missing = await damaged('vmissing', (dir) => rmSync(largest(dir)));
      const m = await cli(['backup', 'verify', '--from', missing, '--password-file', pw]);
      assert.equal(m.code, 1);
      assert.match(m.stdout, /pack [0-9a-f]{8} is missing/);
      assert.match(m.stdout, /affected: snapshot [0-9a-f]{8}:\/data\/big\.bin/);
    });

    test('a live restic exclusive lock: backup, restore and prune exit 5 on one line, nothing written', async () => {
      // `restic key passwd` takes an exclusive lock, then waits for the new password on stdin.
      const holder: ChildProcess = spawn('restic', ['-r', repo2, '--no-cache', 'key', 'passwd'], {
        stdio: ['pipe', 'ignore', 'ignore'],
        env: { PATH: process.env.PATH ?? '', HOME: '/root', RESTIC_PASSWORD_FILE: pw },
      });
      try {
        const t0 = Date.now();
        while (readdirSync(join(repo2, 'locks')).length === 0) {
          assert.ok(Date.now() - t0 < 10_000, 'restic took its lock');
          await new Promise((r) => setTimeout(r, 50));
        }
        const before = readdirSync(join(repo2, 'snapshots'));
        for (const args of [
          ['backup', vapp, '--to', repo2, '--password-file', pw],
          ['restore', vapp, '--from', repo2, '--password-file', pw, '--yes'],
          ['backup', 'prune', '--from', repo2, '--password-file', pw, '--keep-last', '1'],
        ]) {
          const r = await cli(args);
          assert.equal(r.code, 5, `${args.join(' ')}: ${r.stderr}`);
          assert.match(r.stderr, /is locked: an exclusive lock held by PID \d+/);
          assert.ok(oneLine(r.stderr), r.stderr);
        }
        assert.deepEqual(readdirSync(join(repo2, 'snapshots')), before);
        assert.deepEqual(snapshotVolume(vol), live);
      } finally {
        holder.kill('SIGTERM');
        await new Promise((r) => holder.once('exit', r));
      }
    });

    test('bad input: wrong password (exit 2), not a repository, on one line', async () => {
      const wrong = join(tmp, 'wrong');
      writeFileSync(wrong, 'not the password');
      const keysOnly = join(tmp, 'keys-only');
      mkdirSync(join(keysOnly, 'keys'), { recursive: true });
      const empty = join(tmp, 'empty');
      mkdirSync(empty);
      const cases: Array<[string[], RegExp]> = [
        [['backup', vapp, '--to', repo2, '--password-file', wrong], /wrong password for the repository/],
        [['restore', vapp, '--from', repo2, '--password-file', wrong, '--yes'], /wrong password for the repository/],
        [['backup', 'ls', '--from', repo2, '--password-file', wrong], /wrong password for the repository/],
        [['backup', vapp, '--to', keysOnly, '--password-file', pw], /is not a repository: it has keys\/ but no config/],
        [['backup', 'ls', '--from', empty, '--password-file', pw], /is not a repository \(it has no config\)/],
        [['backup', vapp, '--to', repo2], /no repository password given/],
      ];
      for (const [args, message] of cases) {
        const r = await cli(args);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, message);
        assert.ok(oneLine(r.stderr), r.stderr);
      }
      assert.deepEqual(snapshotVolume(vol), live);
      assert.equal(docker('inspect', '-f', '{{.State.Running}}', vapp), 'true');
    });
  });
});
