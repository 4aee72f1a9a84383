/**
 * dockside backup/restore against a real engine, with a host directory as the target: every file
 * kind round-trips, restore replaces changed and deleted files, --into-volume, corrupt archives
 * are refused with the volume untouched, a killed backup is never listed and is cleaned up by the
 * next one, consistency flags, retention, and one-line errors.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RUN_ID, RUN_LABEL, cleanupRun, createVolume, docker, requireEngine, runCli, spawnCli, startFixture, waitFor } from '../support/engine.js';
import { BASE_IMAGE, fill, hex, snapshotVolume, withoutSpecial, type Entry } from './backup-support.js';

const label = `${RUN_LABEL}=${RUN_ID}`;
const manifestOf = (dir: string, id: string) => JSON.parse(readFileSync(join(dir, id, 'manifest.json'), 'utf8'));
const oneLine = (stderr: string) =>
  stderr
    .trim()
    .split('\n')
    .filter((l) => !l.trim().startsWith('hint:')).length === 1;

describe('backup and restore to a directory', { timeout: 300_000 }, () => {
  let tmp: string;
  let vol: string;
  let app: string;
  let original: Entry[];

  before(async () => {
    await requireEngine();
    tmp = mkdtempSync(join(tmpdir(), 'ds-backup-it-'));
    vol = createVolume('data');
    app = startFixture('app', ['--init', '-v', `${vol}:/data`, BASE_IMAGE, 'sleep', 'infinity']);
    fill(app, '/data');
    original = snapshotVolume(vol, label);
  });

  after(() => {
    cleanupRun();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('every file kind survives backup, change, delete and restore', async () => {
    const dir = join(tmp, 'kinds');
    const b = await runCli(['backup', app, '--to', dir, '--json']);
    assert.equal(b.code, 0, b.stderr);
    const m = JSON.parse(b.stdout);
    assert.match(m.id, new RegExp(`^${app}-\\d{8}T\\d{6}Z-[0-9a-f]{6}$`));
    assert.equal(m.archives.length, 1);
    const a = m.archives[0];
    assert.equal(a.file, `vol-${vol}.tar.zst`);
    assert.equal(a.destination, '/data');
    // FIFOs and devices are archived (tar carries them); only the socket is not.
    assert.deepEqual(a.skipped.map((s: { path: string }) => s.path).sort(), ['sock']);
    assert.match(b.stderr, /sock: socket not archived/);
    assert.deepEqual(manifestOf(dir, m.id), m, 'the manifest on disk is what --json printed');
    assert.ok(!existsSync(join(dir, m.id, 'in-progress.json')));

    // Change, add and delete things, then restore.
    docker('exec', app, 'sh', '-c', 'echo changed > /data/dir/small.txt; rm -rf /data/deep /data/hard; echo new > /data/added; chmod 600 /data/big.bin; chown 5:5 /data/text.txt');
    assert.notDeepEqual(snapshotVolume(vol, label), original);
    const startedBefore = docker('inspect', '--format', '{{.State.StartedAt}}', app);
    const r = await runCli(['restore', app, '--from', dir, '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /container stopped and started again/);
    assert.equal(docker('inspect', '--format', '{{.State.Running}}', app), 'true');
    assert.notEqual(docker('inspect', '--format', '{{.State.StartedAt}}', app), startedBefore);
    assert.deepEqual(snapshotVolume(vol, label), withoutSpecial(original));
    // The non-UTF-8 name and link target came back byte for byte.
    const restored = snapshotVolume(vol, label);
    assert.ok(restored.some((e) => e.path === hex(Buffer.from([0x62, 0x61, 0x64, 0x2d, 0xff, 0xfe, 0x2e, 0x74, 0x78, 0x74]))));
    assert.equal(restored.find((e) => e.path === hex('rawlink'))?.target, hex(Buffer.from([...Buffer.from('target-'), 0xff])));

    const ls = await runCli(['backup', 'ls', '--from', dir, '--json']);
    assert.equal(ls.code, 0, ls.stderr);
    assert.deepEqual(
      JSON.parse(ls.stdout).backups.map((x: { id: string }) => x.id),
      [m.id],
    );
    const v = await runCli(['backup', 'verify', '--from', dir, '--id', 'latest']);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /verified/);
  });

  test('gzip, excludes and --into-volume: a backup tested without touching the original', async () => {
    const dir = join(tmp, 'into');
    const b = await runCli(['backup', app, '--to', `file://${dir}`, '--compress', 'gzip', '--exclude', 'big.bin', '--exclude', 'deep/', '--json']);
    assert.equal(b.code, 0, b.stderr);
    const m = JSON.parse(b.stdout);
    assert.equal(m.archives[0].file, `vol-${vol}.tar.gz`);
    const fresh = `dstest-${RUN_ID}-fresh`;
    const before = snapshotVolume(vol, label);
    const r = await runCli(['restore', app, '--from', dir, '--id', m.id, '--into-volume', fresh]);
    assert.equal(r.code, 0, r.stderr);
    try {
      const got = snapshotVolume(fresh, label);
      const want = withoutSpecial(before).filter((e) => e.path !== hex('big.bin') && !e.path.startsWith(hex('deep')));
      assert.deepEqual(got, want);
      assert.deepEqual(snapshotVolume(vol, label), before, 'the original volume is untouched');
      const again = await runCli(['restore', app, '--from', dir, '--id', m.id, '--into-volume', fresh]);
      assert.equal(again.code, 2);
      assert.match(again.stderr, /already exists/);
    } finally {
      docker('volume', 'rm', '-f', fresh);
    }
  });

  test('a corrupt or truncated archive is refused and the volume stays exactly as it was', async () => {
    const dir = join(tmp, 'corrupt');
    const b = await runCli(['backup', app, '--to', dir, '--json']);
    assert.equal(b.code, 0, b.stderr);
    const m = JSON.parse(b.stdout);
    const file = join(dir, m.id, m.archives[0].file);
    const bytes = readFileSync(file);
    docker('exec', app, 'sh', '-c', 'echo after-backup > /data/marker');
    const before = snapshotVolume(vol, label);
    const rootMtime = before[0]?.mtime;

    // One flipped byte in the middle.
    const bad = Buffer.from(bytes);
    bad[Math.floor(bad.length / 2)] = (bad[Math.floor(bad.length / 2)] ?? 0) ^ 0xff;
    writeFileSync(file, bad);
    const r = await runCli(['restore', app, '--from', dir, '--yes']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /sha256/);
    assert.ok(oneLine(r.stderr), r.stderr);
    // The sidecar's typed error (CorruptArchiveError) crosses the protocol whole: message, hint, code.
    assert.match(r.stderr, /^dockside: archive .* fails its sha256 check \(corrupt, truncated or altered\); nothing was changed\n  hint: this backup cannot be used/);
    assert.deepEqual(snapshotVolume(vol, label), before);
    assert.equal(snapshotVolume(vol, label)[0]?.mtime, rootMtime);
    assert.equal(docker('inspect', '--format', '{{.State.Running}}', app), 'true');
    const v = await runCli(['backup', 'verify', '--from', dir, '--id', m.id]);
    assert.equal(v.code, 1);
    assert.match(v.stdout, /FAIL/);

    // Truncated.
    writeFileSync(file, bytes.subarray(0, bytes.length - 1000));
    const t = await runCli(['restore', app, '--from', dir, '--yes']);
    assert.notEqual(t.code, 0);
    assert.match(t.stderr, /truncated/);
    assert.deepEqual(snapshotVolume(vol, label), before);
    docker('exec', app, 'rm', '/data/marker');
  });

  test('a backup killed mid-write is never listed, and the next backup removes its leftovers', async () => {
    const dir = join(tmp, 'killed');
    const bigVol = createVolume('big');
    const big = startFixture('big', ['--init', '-v', `${bigVol}:/big`, BASE_IMAGE, 'sleep', 'infinity']);
    docker('exec', big, 'sh', '-c', 'for i in 1 2 3 4 5 6; do head -c 40000000 /dev/urandom > /big/r$i; done');
    const child = spawnCli(['backup', big, '--to', dir, '--compress', 'gzip', '--level', '9']);
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    const partial = await waitFor(
      () => {
        const ids = existsSync(dir) ? readdirSync(dir) : [];
        for (const id of ids) {
          const p = join(dir, id, `vol-${bigVol}.tar.gz.partial`);
          if (existsSync(p) && statSync(p).size > 0) return id;
        }
        return undefined;
      },
      'the backup to start writing',
      60_000,
      20,
    );
    const sidecar = docker('ps', '-q', '--filter', 'label=dockside.role=backup', '--filter', `label=dockside.target.name=${big}`);
    assert.ok(sidecar, 'the backup sidecar is running');
    docker('kill', sidecar);
    const code = await exited;
    assert.notEqual(code, 0);
    assert.match(stderr, /killed|exit code 137/);
    // The CLI removed what it wrote; emulate a CLI that died too (SIGKILL) by leaving a leftover.
    mkdirSync(join(dir, partial), { recursive: true });
    writeFileSync(join(dir, partial, 'in-progress.json'), JSON.stringify({ id: partial, startedAt: new Date().toISOString(), uploads: [] }));
    writeFileSync(join(dir, partial, `vol-${bigVol}.tar.gz.partial`), 'leftover');
    const ls = await runCli(['backup', 'ls', '--from', dir, '--json']);
    assert.equal(ls.code, 0, ls.stderr);
    assert.deepEqual(JSON.parse(ls.stdout), { backups: [], incomplete: [partial], unreadable: [] }, 'the JSON carries the incomplete ones the table counts');
    const human = await runCli(['backup', 'ls', '--from', dir]);
    assert.match(human.stdout, /1 incomplete backup/);
    const verify = await runCli(['backup', 'verify', '--from', dir, '--id', partial]);
    assert.equal(verify.code, 2);
    assert.match(verify.stderr, /incomplete/);

    docker('exec', big, 'sh', '-c', 'rm /big/r2 /big/r3 /big/r4 /big/r5 /big/r6');
    const next = await runCli(['backup', big, '--to', dir, '--json']);
    assert.equal(next.code, 0, next.stderr);
    const m = JSON.parse(next.stdout);
    assert.match(next.stderr, new RegExp(`removed leftovers of 1 incomplete backup\\(s\\): ${partial}|^$`));
    assert.deepEqual(readdirSync(dir), [m.id]);
  });

  test('--pause, --stop and --exec keep the container as it was; a failing --exec fails the backup', async () => {
    const dir = join(tmp, 'consistency');
    const p = await runCli(['backup', app, '--to', dir, '--pause', '--exec', 'echo flushed > /data/flushed', '--json']);
    assert.equal(p.code, 0, p.stderr);
    const pm = JSON.parse(p.stdout);
    assert.deepEqual(pm.consistency, { mode: 'pause', exec: 'echo flushed > /data/flushed' });
    assert.equal(docker('inspect', '--format', '{{.State.Status}}', app), 'running');
    // What --exec wrote before the backup is in it.
    const check = `dstest-${RUN_ID}-check`;
    try {
      const r = await runCli(['restore', app, '--from', dir, '--id', pm.id, '--into-volume', check]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(docker('run', '--rm', '--label', label, '-v', `${check}:/c:ro`, BASE_IMAGE, 'cat', '/c/flushed'), 'flushed');
    } finally {
      docker('volume', 'rm', '-f', check);
    }

    const startedBefore = docker('inspect', '--format', '{{.State.StartedAt}}', app);
    const s = await runCli(['backup', app, '--to', dir, '--stop', '--json']);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(JSON.parse(s.stdout).consistency.mode, 'stop');
    assert.equal(docker('inspect', '--format', '{{.State.Status}}', app), 'running');
    assert.notEqual(docker('inspect', '--format', '{{.State.StartedAt}}', app), startedBefore, 'it was stopped and started');

    const bad = await runCli(['backup', app, '--to', dir, '--exec', 'echo nope >&2; exit 3']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--exec command failed .* exit code 3: nope/);
    const ls = JSON.parse((await runCli(['backup', 'ls', '--from', dir, '--json'])).stdout).backups;
    assert.equal(ls.length, 2);
    docker('exec', app, 'rm', '/data/flushed');
  });

  test('retention: --keep-last after a backup, and prune with --dry-run', async () => {
    const dir = join(tmp, 'retention');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const b = await runCli(['backup', app, '--to', dir, '--volume', '/data', '--json']);
      assert.equal(b.code, 0, b.stderr);
      ids.push(JSON.parse(b.stdout).id);
    }
    assert.equal(new Set(ids).size, 3);
    const dry = await runCli(['backup', 'prune', '--from', dir, '--keep-last', '1', '--dry-run', '--json']);
    assert.equal(dry.code, 0, dry.stderr);
    const d = JSON.parse(dry.stdout);
    assert.deepEqual(d.removed, []);
    assert.deepEqual(
      d.decisions
        .filter((x: { keep: boolean }) => !x.keep)
        .map((x: { id: string }) => x.id)
        .sort(),
      ids.slice(0, 2).sort(),
    );
    assert.equal(readdirSync(dir).length, 3);
    const human = await runCli(['backup', 'prune', '--from', dir, '--keep-last', '1', '--dry-run']);
    assert.match(human.stdout, /would remove/);

    const b = await runCli(['backup', app, '--to', dir, '--keep-last', '2', '--json']);
    assert.equal(b.code, 0, b.stderr);
    const out = JSON.parse(b.stdout);
    assert.deepEqual(out.prune.removed.sort(), ids.slice(0, 2).sort());
    assert.deepEqual(readdirSync(dir).sort(), [ids[2], out.id].sort());

    const p = await runCli(['backup', 'prune', '--from', dir, '--keep-last', '1']);
    assert.equal(p.code, 0, p.stderr);
    assert.deepEqual(readdirSync(dir), [out.id]);
    const none = await runCli(['backup', 'prune', '--from', dir]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /--keep-last/);
  });

  test("a backup's folder is 0750 and its files 0640, owned by the destination's owner; a new destination is 0700", async () => {
    const fresh = join(tmp, 'modes', 'new');
    const b = await runCli(['backup', app, '--to', fresh, '--json']);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(statSync(fresh).mode & 0o7777, 0o700);
    assert.equal(statSync(join(tmp, 'modes')).mode & 0o7777, 0o700);
    const owned = join(tmp, 'modes-owned');
    mkdirSync(owned, { mode: 0o755 });
    chownSync(owned, 1234, 1235);
    const o = await runCli(['backup', app, '--to', owned, '--json']);
    assert.equal(o.code, 0, o.stderr);
    for (const [dir, id] of [
      [fresh, JSON.parse(b.stdout).id],
      [owned, JSON.parse(o.stdout).id],
    ] as const) {
      const folder = statSync(join(dir, id));
      assert.equal((folder.mode & 0o7777).toString(8), '750', `${dir}/${id}`);
      const files = readdirSync(join(dir, id));
      assert.ok(files.includes('manifest.json'), files.join());
      for (const f of files) assert.equal((statSync(join(dir, id, f)).mode & 0o7777).toString(8), '640', `${id}/${f}`);
      const want = dir === owned ? [1234, 1235] : [0, 0];
      for (const f of ['', ...files]) assert.deepEqual([statSync(join(dir, id, f)).uid, statSync(join(dir, id, f)).gid], want, `${id}/${f}`);
    }
  });

  test('bad input: one line, non-zero exit, nothing written', async () => {
    const dir = join(tmp, 'errors');
    const unknown = await runCli(['backup', `dstest-${RUN_ID}-nope`, '--to', dir]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no container named/);
    assert.ok(oneLine(unknown.stderr), unknown.stderr);

    const ro = join(tmp, 'readonly');
    mkdirSync(ro);
    chmodSync(ro, 0o555);
    const unwritable = await runCli(['backup', app, '--to', ro]);
    assert.equal(unwritable.code, 1);
    assert.match(unwritable.stderr, /cannot write to backup directory .*permission denied/);
    assert.ok(oneLine(unwritable.stderr), unwritable.stderr);
    assert.deepEqual(readdirSync(ro), []);

    const rel = await runCli(['backup', app, '--to', 'relative/dir']);
    assert.equal(rel.code, 2);
    assert.match(rel.stderr, /not an absolute path/);
    const fileRel = await runCli(['backup', app, '--to', 'file:relative']);
    assert.equal(fileRel.code, 2, fileRel.stderr);
    assert.match(fileRel.stderr, /"file:relative" is not an absolute file URL\n  hint: write file:\/\/\//);
    assert.ok(!existsSync('/relative'));
    const badUrl = await runCli(['backup', 'ls', '--from', 's3://bucket-x/p', '--s3-endpoint', 'notaurl']);
    assert.equal(badUrl.code, 2, badUrl.stderr);
    assert.match(badUrl.stderr, /^dockside: --s3-endpoint "notaurl" is not an http\(s\) URL\n  hint: /);
    // The hint of an S3 network error names --network: ls and prune accept it.
    mkdirSync(join(tmp, 'network-flag'), { recursive: true });
    for (const cmd of [
      ['backup', 'ls'],
      ['backup', 'prune', '--keep-last', '1'],
    ]) {
      const n = await runCli([...cmd, '--from', join(tmp, 'network-flag'), '--network', 'host', '--json']);
      assert.equal(n.code, 0, `${cmd.join(' ')}: ${n.stderr}`);
    }

    const vol = await runCli(['backup', app, '--to', dir, '--volume', 'nope']);
    assert.equal(vol.code, 2);
    assert.match(vol.stderr, /has no volume or mount "nope"/);

    const both = await runCli(['backup', app, '--to', dir, '--pause', '--stop']);
    assert.equal(both.code, 2);

    const missing = await runCli(['backup', 'ls', '--from', join(tmp, 'does-not-exist')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /does not exist/);

    const noYes = await runCli(['restore', app, '--from', join(tmp, 'kinds')]);
    assert.equal(noYes.code, 2);
    assert.match(noYes.stderr, /--yes/);
    assert.equal(existsSync(dir) ? readdirSync(dir).length : 0, 0);
  });
});

/** Replace archive `file` of backup `id` with a tar GNU tar builds from `script` (run in a scratch dir), gzipped, and fix the manifest's sha256 and size, as an attacker with write access to the destination would. */
function tamper(dir: string, id: string, file: string, script: string, entries: { files: number; dirs: number; symlinks: number; hardlinks: number }): void {
  const work = mkdtempSync(join(tmpdir(), 'ds-tamper-'));
  try {
    const r = spawnSync('sh', ['-c', script], { cwd: work, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const gz = spawnSync('gzip', ['-c', join(work, 'evil.tar')], { maxBuffer: 64 << 20 });
    assert.equal(gz.status, 0);
    writeFileSync(join(dir, id, file), gz.stdout);
    const m = manifestOf(dir, id);
    const a = m.archives.find((x: { file: string }) => x.file === file);
    a.sha256 = createHash('sha256').update(gz.stdout).digest('hex');
    a.bytes = gz.stdout.length;
    a.entries = entries;
    writeFileSync(join(dir, id, 'manifest.json'), JSON.stringify(m, null, 2));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

describe('restore never writes outside the volume it restores', { timeout: 300_000 }, () => {
  let tmp: string;
  let bind: string;
  let vol: string;
  let other: string;
  let app: string;

  before(async () => {
    await requireEngine();
    tmp = mkdtempSync(join(tmpdir(), 'ds-escape-it-'));
    bind = join(tmp, 'bind');
    mkdirSync(bind);
    vol = createVolume('esc-data');
    other = createVolume('esc-other');
    app = startFixture('esc', ['--init', '-v', `${vol}:/data`, '-v', `${other}:/other`, '-v', `${bind}:/bind`, BASE_IMAGE, 'sleep', 'infinity']);
    docker('exec', app, 'sh', '-c', 'echo keep > /data/keep; echo other > /other/o');
  });

  after(() => {
    cleanupRun();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  for (const [where, target] of [
    ['a host bind mount', '/bind'],
    ['another volume of the container', '/other'],
  ] as const) {
    test(`an archive with a symlink to ${where} and a setuid file through it is refused`, async () => {
      const dir = join(tmp, `dest-${target.slice(1)}`);
      const b = await runCli(['backup', app, '--to', dir, '--volume', '/data', '--compress', 'gzip', '--json']);
      assert.equal(b.code, 0, b.stderr);
      const m = JSON.parse(b.stdout);
      // GNU tar, as an attacker would: the symlink first, then a file "inside" it.
      tamper(
        dir,
        m.id,
        m.archives[0].file,
        `ln -s ${target} evil && tar -cf evil.tar evil && rm evil && mkdir evil && echo pwned > evil/pwned && chmod 4755 evil/pwned && tar -rf evil.tar evil/pwned`,
        { files: 1, dirs: 0, symlinks: 1, hardlinks: 0 },
      );
      const v = await runCli(['backup', 'verify', '--from', dir, '--id', m.id]);
      assert.equal(v.code, 1, v.stdout + v.stderr);
      assert.match(v.stdout, /FAIL .*goes through the symlink "evil"/);
      const r = await runCli(['restore', app, '--from', dir, '--id', m.id, '--volume', '/data', '--yes']);
      assert.notEqual(r.code, 0, r.stdout);
      assert.match(r.stderr, /goes through the symlink "evil" .*outside the volume; nothing was restored/);
      assert.ok(oneLine(r.stderr), r.stderr);
      assert.deepEqual(readdirSync(bind), [], 'nothing was written into the host bind directory');
      assert.equal(docker('exec', app, 'sh', '-c', 'ls -A /other; ls -A /data'), 'o\nkeep', 'the other volume and the restored one are as they were');
      assert.equal(docker('inspect', '--format', '{{.State.Running}}', app), 'true');
    });
  }
});

describe('retention and bad manifests never cost a good backup', { timeout: 300_000 }, () => {
  let tmp: string;
  let app: string;

  before(async () => {
    await requireEngine();
    tmp = mkdtempSync(join(tmpdir(), 'ds-retain-it-'));
    const vol = createVolume('retain');
    app = startFixture('retain', ['--init', '-v', `${vol}:/data`, BASE_IMAGE, 'sleep', 'infinity']);
    docker('exec', app, 'sh', '-c', 'echo one > /data/one');
  });

  after(() => {
    spawnSync('sh', ['-c', `chattr -R -i ${tmp} 2>/dev/null`]);
    cleanupRun();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('a retention that fails keeps the backup that just succeeded, and says so (exit 1)', async () => {
    const dir = join(tmp, 'stuck');
    const first = JSON.parse((await runCli(['backup', app, '--to', dir, '--json'])).stdout).id as string;
    // An old backup that cannot be removed (immutable file): retention fails.
    assert.equal(spawnSync('chattr', ['+i', join(dir, first, 'manifest.json')]).status, 0, 'chattr +i works here');
    const b = await runCli(['backup', app, '--to', dir, '--keep-last', '1', '--json']);
    spawnSync('chattr', ['-i', join(dir, first, 'manifest.json')]);
    assert.equal(b.code, 1, b.stderr);
    const m = JSON.parse(b.stdout);
    assert.match(b.stderr, new RegExp(`backup ${m.id} is complete, but retention failed: .*\\n  hint: `));
    assert.ok(existsSync(join(dir, m.id, 'manifest.json')), 'the new backup is still there');
    const ls = JSON.parse((await runCli(['backup', 'ls', '--from', dir, '--json'])).stdout).backups;
    assert.ok(JSON.stringify(ls).includes(m.id));
  });

  test("errors name the host path of the destination, not the sidecar's", async () => {
    const dir = join(tmp, 'immutable');
    mkdirSync(dir);
    assert.equal(spawnSync('chattr', ['+i', dir]).status, 0);
    const r = await runCli(['backup', app, '--to', dir]);
    spawnSync('chattr', ['-i', dir]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`cannot write to backup directory ${dir}: permission denied`));
    assert.doesNotMatch(r.stderr, /backup-destination/);
  });

  test('one bad manifest.json is reported and skipped by ls, verify, prune and restore --id latest', async () => {
    const dir = join(tmp, 'badmanifest');
    const good = JSON.parse((await runCli(['backup', app, '--to', dir, '--json'])).stdout).id as string;
    const bad = JSON.parse((await runCli(['backup', app, '--to', dir, '--json'])).stdout).id as string;
    writeFileSync(join(dir, bad, 'manifest.json'), '{ not json');
    const ls = await runCli(['backup', 'ls', '--from', dir]);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, new RegExp(good));
    assert.match(ls.stderr, new RegExp(`backup ${bad} skipped: manifest of backup ${bad} is not valid JSON`));
    const v = await runCli(['backup', 'verify', '--from', dir, '--id', 'latest']);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, new RegExp(`backup ${good} verified`));
    const r = await runCli(['restore', app, '--from', dir, '--id', 'latest', '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`restore of backup ${good}`));
    const p = await runCli(['backup', 'prune', '--from', dir, '--keep-last', '1', '--json']);
    assert.equal(p.code, 0, p.stderr);
    assert.ok(existsSync(join(dir, bad)), 'a backup with a bad manifest is never pruned');
    assert.ok(existsSync(join(dir, good, 'manifest.json')));
  });
});

describe('odd mount layouts: a file mount, one volume twice, nested volumes, a destination inside a mount', { timeout: 300_000 }, () => {
  let tmp: string;
  let outer: string;
  let inner: string;
  let bk: string;
  let app: string;
  const ls = (path: string) => docker('exec', app, 'sh', '-c', `ls -A ${path} | tr '\\n' ' '`).trim();

  before(async () => {
    await requireEngine();
    tmp = mkdtempSync(join(tmpdir(), 'ds-mounts-it-'));
    outer = createVolume('outer');
    inner = createVolume('inner');
    bk = join(tmp, 'bk');
    mkdirSync(bk);
    writeFileSync(join(tmp, 'app.conf'), 'conf');
    app = startFixture('mounts', [
      '--init',
      '-v',
      `${outer}:/data`,
      '-v',
      `${outer}:/again`,
      '-v',
      `${inner}:/data/inner`,
      '-v',
      `${join(tmp, 'app.conf')}:/etc/app.conf`,
      '-v',
      `${bk}:/bk`,
      BASE_IMAGE,
      'sleep',
      'infinity',
    ]);
    docker('exec', app, 'sh', '-c', 'echo o > /data/keep; mkdir -p /data/sub; echo i > /data/inner/x');
  });

  after(() => {
    cleanupRun();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('a backup that archived nothing fails and retention does not run', async () => {
    const dir = join(tmp, 'nothing');
    const good = await runCli(['backup', app, '--to', dir, '--volume', '/data', '--json']);
    assert.equal(good.code, 0, good.stderr);
    const r = await runCli(['backup', app, '--to', dir, '--volume', '/etc/app.conf', '--keep-last', '1']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /nothing was archived: \/etc\/app\.conf is not a directory\n  hint: /);
    assert.doesNotMatch(r.stdout, /complete|retention/);
    assert.deepEqual(readdirSync(dir), [JSON.parse(good.stdout).id]);
  });

  test('one volume mounted twice, or named twice, is archived once; nested volumes are not stored twice; restore keeps every mount', async () => {
    const dir = join(tmp, 'layout');
    const twice = await runCli(['backup', app, '--to', dir, '--volume', outer, '--volume', '/data', '--volume', '/again', '--json']);
    assert.equal(twice.code, 0, twice.stderr);
    // Once, from its first mount point in path order (the engine lists mounts in no stable order).
    assert.deepEqual(
      JSON.parse(twice.stdout).archives.map((a: { destination: string }) => a.destination),
      ['/again'],
    );
    const b = await runCli(['backup', app, '--to', dir, '--volume', '/data', '--volume', '/data/inner', '--json']);
    assert.equal(b.code, 0, b.stderr);
    const m = JSON.parse(b.stdout);
    assert.deepEqual(
      m.archives.map((a: { destination: string }) => a.destination),
      ['/data', '/data/inner'],
    );
    // The outer archive holds keep (and the empty mount point), not inner/x.
    assert.equal(m.archives[0].entries.files, 1, JSON.stringify(m.archives[0].entries));
    assert.equal(m.archives[1].entries.files, 1);
    docker('exec', app, 'sh', '-c', 'echo changed > /data/keep; echo changed > /data/inner/x; echo extra > /data/inner/y; rm -r /data/sub');
    const r = await runCli(['restore', app, '--from', dir, '--id', m.id, '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(docker('exec', app, 'cat', '/data/keep', '/data/inner/x'), 'o\ni');
    assert.equal(ls('/data'), 'inner keep sub', 'no staging debris, the nested mount still there');
    assert.equal(ls('/data/inner'), 'x');
    assert.equal(ls('/again'), 'inner keep sub');
    const one = await runCli(['restore', app, '--from', dir, '--id', JSON.parse(twice.stdout).id, '--yes']);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(docker('exec', app, 'cat', '/data/keep', '/data/inner/x'), 'o\ni', 'restoring the outer one leaves the inner volume alone');
    assert.equal(ls('/data'), 'inner keep sub');
  });

  test('--exclude (also in the mount-path form) is recorded in the manifest and what it matched survives a restore; --into-volume refuses a volume in use', async () => {
    const dir = join(tmp, 'excludes');
    docker('exec', app, 'sh', '-c', 'mkdir -p /data/cache /data/logs && echo c > /data/cache/c && echo l > /data/logs/x.log');
    const b = await runCli(['backup', app, '--to', dir, '--volume', '/data', '--exclude', 'cache/', '--exclude', '/data/logs', '--json']);
    assert.equal(b.code, 0, b.stderr);
    const m = JSON.parse(b.stdout);
    assert.deepEqual(m.archives[0].excludes, ['cache/', '/logs']);
    assert.equal(m.archives[0].entries.files, 1, 'only keep: cache and logs (mount-path form) were excluded');
    docker('exec', app, 'sh', '-c', 'echo newer > /data/logs/x.log; echo changed > /data/keep');
    const r = await runCli(['restore', app, '--from', dir, '--id', m.id, '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(docker('exec', app, 'cat', '/data/keep', '/data/cache/c', '/data/logs/x.log'), 'o\nc\nnewer');
    assert.equal(ls('/data'), 'cache inner keep logs sub');
    docker('exec', app, 'rm', '-r', '/data/cache', '/data/logs');

    const into = await runCli(['restore', app, '--from', dir, '--id', m.id, '--into-volume', outer, '--yes']);
    assert.equal(into.code, 2, into.stderr);
    assert.match(into.stderr, new RegExp(`volume "${outer}" is mounted by running container "${app}"\\n  hint: .*--force`));
  });

  test('a destination inside a mount being backed up is refused (exit 2, hint)', async () => {
    const r = await runCli(['backup', app, '--to', join(bk, 'backups')]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /backup destination .*\/bk\/backups is inside the mount \/bk being backed up \(.*\)\n  hint: /);
    assert.deepEqual(readdirSync(bk), [], 'nothing was written');
    const ok = await runCli(['backup', app, '--to', join(bk, 'backups'), '--volume', '/data']);
    assert.equal(ok.code, 0, ok.stderr);
  });
});

describe('interrupted restores and backups leave no debris and bring the app back', { timeout: 300_000 }, () => {
  let tmp: string;
  let vol: string;
  let app: string;
  let mountpoint: string;
  const debris = () => readdirSync(mountpoint).filter((n) => n.startsWith('.dockside-'));

  before(async () => {
    await requireEngine();
    tmp = mkdtempSync(join(tmpdir(), 'ds-intr-it-'));
    vol = createVolume('intr');
    app = startFixture('intr', ['--init', '-v', `${vol}:/data`, BASE_IMAGE, 'sleep', 'infinity']);
    docker('exec', app, 'sh', '-c', 'for i in 1 2 3 4 5 6; do head -c 40000000 /dev/urandom > /data/r$i; done');
    mountpoint = docker('volume', 'inspect', '--format', '{{.Mountpoint}}', vol);
  });

  after(() => {
    cleanupRun();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('SIGINT during a restore removes its staging folder; the volume and the app are as they were', async () => {
    const dir = join(tmp, 'sigint');
    const b = await runCli(['backup', app, '--to', dir, '--compress', 'gzip', '--level', '1', '--json']);
    assert.equal(b.code, 0, b.stderr);
    docker('exec', app, 'sh', '-c', 'echo after > /data/marker');
    const child = spawnCli(['restore', app, '--from', dir, '--yes']);
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    await waitFor(() => debris().length > 0 || undefined, 'the restore to start staging', 60_000, 10);
    child.kill('SIGINT');
    assert.equal(await exited, 130, stderr);
    assert.deepEqual(debris(), [], 'no .dockside-restore-* left in the volume');
    assert.ok(existsSync(join(mountpoint, 'marker')), 'nothing was swapped');
    assert.equal(docker('inspect', '--format', '{{.State.Running}}', app), 'true');
  });

  test('kill -9 of the CLI during backup --stop: the app is started again once the sidecar ends', async () => {
    const dir = join(tmp, 'kill9');
    const child = spawnCli(['backup', app, '--to', dir, '--stop', '--compress', 'gzip', '--level', '9']);
    const exited = new Promise<number | null>((r) => child.on('close', r));
    await waitFor(() => docker('inspect', '--format', '{{.State.Running}}', app) === 'false' || undefined, 'the target to be stopped', 60_000, 50);
    child.kill('SIGKILL');
    await exited;
    await waitFor(() => docker('inspect', '--format', '{{.State.Running}}', app) === 'true' || undefined, 'the app to be started again', 120_000, 250);
  });

  test('SIGHUP ends a restore with exit code 129; a paused container is left paused after a restore', async () => {
    const dir = join(tmp, 'sigint');
    const child = spawnCli(['restore', app, '--from', dir, '--yes']);
    const exited = new Promise<number | null>((r) => child.on('close', r));
    await waitFor(() => debris().length > 0 || undefined, 'the restore to start staging', 60_000, 10);
    child.kill('SIGHUP');
    assert.equal(await exited, 129);
    docker('pause', app);
    try {
      const r = await runCli(['restore', app, '--from', dir, '--yes']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(docker('inspect', '--format', '{{.State.Status}}', app), 'paused');
    } finally {
      spawnSync('docker', ['unpause', app]);
    }
  });
});
