/**
 * Backup fidelity against a real engine and a real file system: a tree with nanosecond times on
 * files, directories and symlinks, a 9 GiB sparse file with 3 bytes of data, a file with
 * security.capability and one with an ACL (and a default ACL), setuid/setgid/sticky bits, hard
 * links, names with newlines and invalid UTF-8; restored to a directory destination and from S3
 * into new volumes and compared byte for byte and attribute for attribute; the archive extracted
 * by GNU tar (`zstd -d | tar -x` and `tar -xzf`) gives the same tree. A destination that cannot be
 * created fails at once.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RUN_ID, RUN_LABEL, cleanupRun, createVolume, requireEngine, runCli, startFixture } from '../support/engine.js';
import {
  BASE_IMAGE,
  FIDELITY_FIXTURE_JS as FIXTURE_JS,
  FIDELITY_SNAPSHOT_JS as SNAPSHOT_JS,
  runInBackupImage,
  startS3,
  type FidelityEntry as Entry,
  type S3Server,
} from './backup-support.js';

const label = `${RUN_LABEL}=${RUN_ID}`;
const oneLine = (stderr: string) =>
  stderr
    .trim()
    .split('\n')
    .filter((l) => !l.trim().startsWith('hint:')).length === 1;

const inBackupImage = (mount: string[], js: string, arg: string) => runInBackupImage(label, mount, js, arg);
const snapshotVolume = (vol: string): Entry[] => JSON.parse(inBackupImage(['-v', `${vol}:/v:ro`], SNAPSHOT_JS, '/v')) as Entry[];
const snapshotDir = (dir: string): Entry[] => JSON.parse(inBackupImage(['-v', `${dir}:/v:ro`], SNAPSHOT_JS, '/v')) as Entry[];
const hex = (s: string | Buffer) => Buffer.from(s).toString('hex');

describe('backup fidelity (times, holes, xattrs, ACLs) with a real engine', { timeout: 600_000 }, () => {
  let tmp: string;
  let vol: string;
  let small: string;
  let app: string;
  let smallApp: string;
  let original: Entry[];
  const fresh: string[] = [];

  before(async () => {
    await requireEngine();
    tmp = mkdtempSync(join(tmpdir(), 'ds-fidelity-it-'));
    vol = createVolume('fid');
    small = createVolume('small');
    inBackupImage(['-v', `${vol}:/data`], FIXTURE_JS, '/data');
    app = startFixture('fidapp', ['--init', '-v', `${vol}:/data`, BASE_IMAGE, 'sleep', 'infinity']);
    smallApp = startFixture('smallapp', ['--init', '-v', `${small}:/data`, BASE_IMAGE, 'sh', '-c', 'echo hi > /data/f; exec sleep infinity']);
    original = snapshotVolume(vol);
  });

  after(() => {
    cleanupRun();
    for (const v of fresh) spawnSync('docker', ['volume', 'rm', '-f', v], { stdio: 'ignore' });
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('the fixture has what the test claims', () => {
    const by = new Map(original.map((e) => [e.path, e]));
    assert.equal(by.get(hex('dir/sub/a.txt'))?.mtime, '1700000000123456789');
    assert.equal(by.get(hex('dir'))?.mtime, '1600000001700000001');
    assert.equal(by.get(hex('link'))?.mtime, '1700000002999999998');
    assert.equal(by.get(hex('sparse.img'))?.sparse, true);
    assert.equal(by.get(hex('sparse.img'))?.size, String(9 * 2 ** 30));
    assert.match(by.get(hex('cap-bin'))?.xattrs.join() ?? '', /security\.capability=/);
    assert.match(by.get(hex('acl.txt'))?.xattrs.join() ?? '', /system\.posix_acl_access=/);
    assert.match(by.get(hex('dir/sub'))?.xattrs.join() ?? '', /system\.posix_acl_default=/);
    assert.equal(by.get(hex('cap-bin'))?.mode, '104755');
    assert.equal(by.get(hex('sgid'))?.mode, '42775');
    assert.equal(by.get(hex('sticky'))?.mode, '41777');
    assert.equal(by.get(hex('hard2'))?.linkgroup, by.get(hex('sgid/hard1'))?.linkgroup);
    assert.ok(by.has(hex('new\nline')) && by.has(hex(Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe]))));
  });

  test('a destination that cannot be created fails at once, on one line', async () => {
    const t0 = Date.now();
    // Under /proc (where a recursive mkdir never returns) it is refused before anything is tried.
    const r = await runCli(['backup', smallApp, '--to', '/proc/anything'], { timeoutMs: 20_000 });
    assert.equal(r.signal, null, 'it returned by itself');
    assert.notEqual(r.code, 0);
    assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
    assert.match(r.stderr, /--to \/proc\/anything: a sidecar may not mount it/);
    assert.ok(oneLine(r.stderr), r.stderr);
    // Elsewhere, a directory that cannot be made (its parent is a file) says so.
    writeFileSync(join(tmp, 'a-file'), 'x');
    const r2 = await runCli(['backup', smallApp, '--to', join(tmp, 'a-file', 'sub')], { timeoutMs: 20_000 });
    assert.notEqual(r2.code, 0);
    assert.match(r2.stderr, /cannot create backup directory .*a-file\/sub/);
    assert.ok(oneLine(r2.stderr), r2.stderr);
  });

  test('directory destination: everything comes back into a new volume; the 9 GiB file in about the time of a small one', async () => {
    const dir = join(tmp, 'dir');
    const ts = Date.now();
    const s = await runCli(['backup', smallApp, '--to', dir, '--json']);
    const smallMs = Date.now() - ts;
    assert.equal(s.code, 0, s.stderr);
    const t0 = Date.now();
    const b = await runCli(['backup', app, '--to', dir, '--json']);
    const backupMs = Date.now() - t0;
    assert.equal(b.code, 0, b.stderr);
    const m = JSON.parse(b.stdout);
    assert.ok(m.archives[0].bytes < 5 * 1024 * 1024, `archive is ${m.archives[0].bytes} bytes`);
    assert.ok(backupMs < smallMs + 5000, `backup ${backupMs} ms, a small volume ${smallMs} ms`);

    const into = `dstest-${RUN_ID}-fidinto`;
    fresh.push(into);
    const t1 = Date.now();
    const r = await runCli(['restore', app, '--from', dir, '--id', m.id, '--into-volume', into]);
    const restoreMs = Date.now() - t1;
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /not restored/);
    assert.ok(restoreMs < smallMs + 5000, `restore ${restoreMs} ms`);
    assert.deepEqual(snapshotVolume(into), original);

    // GNU tar reads the same archive: zstd -d | tar -x, with xattrs (and so ACLs and capabilities).
    const out = join(tmp, 'gnu-zstd');
    mkdirSync(out);
    const archive = join(dir, m.id, m.archives[0].file);
    const x = spawnSync('sh', ['-c', `zstd -dc "$1" | tar -x --xattrs --xattrs-include='*' -C "$2"`, 'x', archive, out], { encoding: 'utf8' });
    assert.equal(x.status, 0, x.stderr);
    const gnu = snapshotDir(out);
    assert.deepEqual(gnu, original);
  });

  test('gzip archive extracted with tar -xzf gives the same tree', async () => {
    const dir = join(tmp, 'gz');
    const b = await runCli(['backup', app, '--to', dir, '--compress', 'gzip', '--json']);
    assert.equal(b.code, 0, b.stderr);
    const m = JSON.parse(b.stdout);
    const out = join(tmp, 'gnu-gz');
    mkdirSync(out);
    const x = spawnSync('tar', ['-xzf', join(dir, m.id, m.archives[0].file), '--xattrs', '--xattrs-include=*', '-C', out], { encoding: 'utf8' });
    assert.equal(x.status, 0, x.stderr);
    assert.deepEqual(snapshotDir(out), original);
    assert.ok(readFileSync(join(dir, m.id, m.archives[0].file)).length < 5 * 1024 * 1024);
  });

  test('S3 destination: restored into a new volume, attribute for attribute', async () => {
    let s3: S3Server | undefined;
    try {
      s3 = await startS3();
      const env = { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_PROFILE: '' };
      const args = ['--s3-endpoint', s3.endpoint, '--s3-path-style', '--network', 'host'];
      const target = `s3://${s3.bucket}/fidelity/${RUN_ID}`;
      const b = await runCli(['backup', app, '--to', target, ...args, '--json'], { env });
      assert.equal(b.code, 0, b.stderr);
      const m = JSON.parse(b.stdout);
      const into = `dstest-${RUN_ID}-fids3`;
      fresh.push(into);
      const r = await runCli(['restore', app, '--from', target, ...args, '--id', m.id, '--into-volume', into], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(snapshotVolume(into), original);
    } finally {
      await s3?.close();
    }
  });
});
