/**
 * Faults underneath a backup, with a real engine: a destination that fills up midway, a volume that
 * fills up during a restore. Each: one clear line, a non-zero exit, no stack trace, nothing left
 * looking complete, and the volume as it was.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanupRun, docker, RUN_ID, RUN_LABEL, requireEngine, runCli, spawnCli, startFixture, waitFor } from '../support/engine.js';
import { BASE_IMAGE, startS3, type S3Server } from './backup-support.js';

const errorLines = (stderr: string) =>
  stderr
    .trim()
    .split('\n')
    .filter((l) => l.trim() && !l.trim().startsWith('hint:'));

/** A tmpfs of `size` mounted at a fresh directory (the test runs as root, as CI does). */
function smallFs(parent: string, name: string, size: string): string {
  const dir = join(parent, name);
  mkdirSync(dir);
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, `cannot mount a ${size} tmpfs at ${dir} (this suite needs root): ${r.stderr}`);
  return dir;
}

function volumeState(container: string): string {
  return docker('exec', container, 'sh', '-c', 'cd /data && find . -xdev | sort && find . -xdev -type f | sort | xargs sha256sum');
}

describe('faults: a destination or a volume that fills up', { timeout: 300_000 }, () => {
  let tmp: string;
  const mounts: string[] = [];
  let app: string;

  before(async () => {
    await requireEngine();
    tmp = mkdtempSync(join(tmpdir(), 'ds-faults-it-'));
    // The app's volume is a 64 MiB tmpfs (so a restore into it can fill it up).
    const vol = `dstest-${RUN_ID}-small`;
    docker('volume', 'create', '--label', `${RUN_LABEL}=${RUN_ID}`, '--driver', 'local', '--opt', 'type=tmpfs', '--opt', 'device=tmpfs', '--opt', 'o=size=64m', vol);
    app = startFixture('fullapp', ['--init', '-v', `${vol}:/data`, BASE_IMAGE, 'sleep', 'infinity']);
    docker('exec', app, 'sh', '-c', 'mkdir -p /data/keep && echo small > /data/keep/a.txt && head -c 24000000 /dev/urandom > /data/big.bin');
  });

  after(() => {
    for (const m of mounts) spawnSync('umount', ['-l', m]);
    cleanupRun();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('a backup into a destination that fills up midway: one line saying it is full, exit 1, nothing listed, nothing left; the next run completes', async () => {
    const dest = smallFs(tmp, 'dest', '12m');
    mounts.push(dest);
    const r = await runCli(['backup', app, '--to', dest, '--compress', 'gzip']);
    assert.equal(r.code, 1, r.stderr);
    const lines = errorLines(r.stderr);
    assert.equal(lines.length, 1, `one line, no stack trace:\n${r.stderr}`);
    assert.match(lines[0] as string, /no space left on device/);
    assert.ok(!/Node\.js v|\n\s+at /.test(r.stderr), r.stderr);
    const ls = await runCli(['backup', 'ls', '--from', dest, '--json']);
    assert.equal(ls.code, 0, ls.stderr);
    assert.deepEqual(JSON.parse(ls.stdout), { backups: [], incomplete: [], unreadable: [] }, 'no backup listed, complete or not');
    assert.deepEqual(
      readdirSync(dest).filter((n) => !n.startsWith('.dockside-lease')),
      [],
      'nothing left behind',
    );
    // Room for what is left once the big file is excluded: the next run completes, alone.
    const ok = await runCli(['backup', app, '--to', dest, '--exclude', 'big.bin', '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    const listed = (JSON.parse((await runCli(['backup', 'ls', '--from', dest, '--json'])).stdout) as { backups: Array<{ id: string }> }).backups;
    assert.equal(listed.length, 1);
    assert.deepEqual(
      readdirSync(dest).filter((n) => !n.startsWith('.')),
      [listed[0]?.id],
    );
  });

  test('a restore onto a volume that fills up: one line, exit 1, the volume exactly as it was', async () => {
    const dest = join(tmp, 'ondisk');
    const b = await runCli(['backup', app, '--to', dest, '--json']);
    assert.equal(b.code, 0, b.stderr);
    // Now the volume holds 24 + 30 MB: staging the 24 MB backup beside it does not fit in 64 MiB.
    docker('exec', app, 'sh', '-c', 'head -c 30000000 /dev/urandom > /data/new.bin');
    const before = volumeState(app);
    // A tmpfs volume empties when its last container stops: the restore refuses to stop the target.
    const refused = await runCli(['restore', app, '--from', dest, '--yes']);
    assert.equal(refused.code, 2, refused.stderr);
    assert.equal(errorLines(refused.stderr).length, 1, refused.stderr);
    assert.match(refused.stderr, /is a tmpfs volume: stopping .* would empty it/);
    assert.match(refused.stderr, /hint: restore with --no-stop/);
    assert.equal(volumeState(app), before, 'refused: the volume as it was');
    const r = await runCli(['restore', app, '--from', dest, '--yes', '--no-stop']);
    assert.equal(r.code, 1, r.stderr);
    const lines = errorLines(r.stderr);
    assert.equal(lines.length, 1, `one line, no stack trace:\n${r.stderr}`);
    assert.match(lines[0] as string, /no space left on the volume at \/data/);
    assert.equal(volumeState(app), before, 'the volume is as it was (no staged copy left)');
  });

  test('files changing while read: the backup completes with a warning per file and restores; --strict fails it and keeps nothing', async () => {
    const busy = startFixture('busyapp', [
      '--init',
      '-v',
      `dstest-${RUN_ID}-busy:/data`,
      '--label',
      `${RUN_LABEL}=${RUN_ID}`,
      BASE_IMAGE,
      'sh',
      '-c',
      // A 40 MB file, appended to all the time (as a log or a database file would be).
      'head -c 40000000 /dev/urandom > /data/grow.log; echo still > /data/still.txt; while :; do echo line >> /data/grow.log; done',
    ]);
    await new Promise((r) => setTimeout(r, 500));
    const dest = join(tmp, 'busy');
    const warned = await runCli(['backup', busy, '--to', dest, '--compress', 'none', '--json']);
    assert.equal(warned.code, 0, warned.stderr);
    assert.match(warned.stderr, /\/data\/grow\.log: (grew while being read|file changed as we read it)/);
    const id = (JSON.parse(warned.stdout) as { id: string }).id;
    const into = `dstest-${RUN_ID}-busyinto`;
    const back = await runCli(['restore', busy, '--from', dest, '--id', id, '--into-volume', into, '--yes']);
    assert.equal(back.code, 0, back.stderr);
    assert.equal(docker('run', '--rm', '-v', `${into}:/r`, BASE_IMAGE, 'cat', '/r/still.txt'), 'still');
    docker('volume', 'rm', '-f', into);
    const strict = await runCli(['backup', busy, '--to', dest, '--compress', 'none', '--strict']);
    assert.equal(strict.code, 1, strict.stderr);
    const lines = errorLines(strict.stderr).filter((l) => !/^warning|: (grew|file changed)/.test(l.replace(/^dockside: /, '')));
    assert.equal(lines.length, 1, strict.stderr);
    assert.match(lines[0] as string, /1 file changed while being read \(\/data\/grow\.log\); with --strict the backup is not kept/);
    const ls = JSON.parse((await runCli(['backup', 'ls', '--from', dest, '--json'])).stdout) as { backups: Array<{ id: string }>; incomplete: unknown[] };
    assert.deepEqual(
      ls.backups.map((b) => b.id),
      [id],
      'only the first backup',
    );
    assert.deepEqual(ls.incomplete, []);
  });

  test('S3 goes away mid-upload: the backup fails within a bounded time on one line, is never listed complete, and the next run cleans the multipart upload', async () => {
    const s3: S3Server = await startS3();
    try {
      const env = { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_PROFILE: '' };
      const s3args = ['--s3-endpoint', s3.endpoint, '--s3-path-style', '--network', 'host'];
      const to = `s3://${s3.bucket}/faults/${RUN_ID}`;
      const src = startFixture('s3gone', [
        '--init',
        '-v',
        `dstest-${RUN_ID}-s3gone:/data`,
        '--label',
        `${RUN_LABEL}=${RUN_ID}`,
        BASE_IMAGE,
        'sh',
        '-c',
        'head -c 120000000 /dev/urandom > /data/big.bin; echo ready > /data/ready; sleep infinity',
      ]);
      await waitFor(() => spawnSync('docker', ['exec', src, 'test', '-e', '/data/ready']).status === 0, 'the data written', 60_000, 300);
      const child = spawnCli(['backup', src, '--to', to, ...s3args, '--compress', 'none'], env);
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<number | null>((r) => child.on('close', r));
      const [upload] = await waitFor(() => (s3.openUploads().length > 0 ? s3.openUploads() : undefined), 'a multipart upload under way', 60_000, 50);
      // Once the backup's marker names the upload (written right after it is created): a server
      // without ListMultipartUploads (s3rver) is then still cleaned up (see the README's limits).
      await waitFor(() => spawnSync('grep', ['-rqs', '--include=in-progress.json*', upload as string, s3.directory]).status === 0, 'the marker naming the upload', 30_000, 50);
      await s3.down();
      const cut = Date.now();
      const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 120_000))]);
      assert.notEqual(code, 'hung', `the backup still runs 120 s after S3 went away:\n${stderr}`);
      assert.equal(code, 1, stderr);
      const lines = errorLines(stderr).filter((l) => /^dockside:/.test(l));
      assert.equal(lines.length, 1, stderr);
      assert.ok(!/Node\.js v|\n\s+at /.test(stderr), stderr);
      const took = Date.now() - cut;
      await s3.up();
      const ls = JSON.parse((await runCli(['backup', 'ls', '--from', to, '--s3-endpoint', s3.endpoint, '--s3-path-style', '--json'], { env })).stdout) as { backups: unknown[] };
      assert.deepEqual(ls.backups, [], 'not listed as complete');
      // The failed run may or may not have aborted its upload (s3rver's close lets open keep-alive
      // connections finish): either way, once the next run is done none is left.
      const again = await runCli(['backup', src, '--to', to, ...s3args, '--compress', 'none'], { env, timeoutMs: 180_000 });
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(s3.openUploads(), [], 'the next run aborted the cut-off multipart upload');
      const after = JSON.parse((await runCli(['backup', 'ls', '--from', to, '--s3-endpoint', s3.endpoint, '--s3-path-style', '--json'], { env })).stdout) as { backups: unknown[] };
      assert.equal(after.backups.length, 1);
      console.log(`S3 outage: the backup failed ${took} ms after S3 went away: ${lines[0]}`);
    } finally {
      await s3.close();
    }
  });
});
