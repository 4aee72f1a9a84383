/**
 * One writer per destination, with a real engine: a second backup to a destination another backup
 * is writing stops with exit code 5 and one line; prune during a backup leaves it alone; a lease
 * left by a writer on another machine blocks while fresh and is taken over once stale.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanupRun, createVolume, docker, requireEngine, runCli, spawnCli, startFixture, waitFor } from '../support/engine.js';
import { BASE_IMAGE } from './backup-support.js';

const oneLine = (stderr: string) => stderr.trim().split('\n').filter((l) => !l.trim().startsWith('hint:')).length === 1;

describe('backup destination lease', { timeout: 300_000 }, () => {
  let tmp: string;
  let app: string;

  before(async () => {
    await requireEngine();
    tmp = mkdtempSync(join(tmpdir(), 'ds-lease-it-'));
    const vol = createVolume('lease');
    app = startFixture('leaseapp', ['--init', '-v', `${vol}:/data`, BASE_IMAGE, 'sleep', 'infinity']);
    // Enough random data that a backup takes a few seconds.
    docker('exec', app, 'sh', '-c', 'head -c 400000000 /dev/urandom > /data/big.bin');
  });

  after(() => {
    cleanupRun();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('a second writer is refused (exit 5, one line) and prune leaves the running backup alone', async () => {
    const dir = join(tmp, 'busy');
    const child = spawnCli(['backup', app, '--to', dir, '--compress', 'gzip', '--level', '9', '--json']);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    const running = await waitFor(() => (existsSync(dir) ? readdirSync(dir).find((id) => existsSync(join(dir, id, 'lease.json'))) : undefined), 'the lease of the first backup');

    const second = await runCli(['backup', app, '--to', dir]);
    assert.equal(second.code, 5, second.stderr);
    assert.match(second.stderr, new RegExp(`is in use by backup ${running}`));
    assert.ok(oneLine(second.stderr), second.stderr);

    const prune = await runCli(['backup', 'prune', '--from', dir, '--keep-last', '1', '--json']);
    assert.equal(prune.code, 0, prune.stderr);
    assert.ok(existsSync(join(dir, running, 'lease.json')), 'prune left the running backup alone');

    assert.equal(await exited, 0, stderr);
    assert.equal(JSON.parse(stdout).id, running);
    assert.ok(!existsSync(join(dir, running, 'lease.json')), 'the lease is released once the manifest is written');
  });

  test("another machine's lease blocks while fresh and is taken over once stale", async () => {
    const dir = join(tmp, 'foreign');
    const foreign = 'other-20260101T000000Z';
    mkdirSync(join(dir, foreign), { recursive: true });
    const lease = (renewedAt: Date) =>
      writeFileSync(join(dir, foreign, 'lease.json'), JSON.stringify({ id: foreign, holder: 'elsewhere pid 1', startedAt: '2026-01-01T00:00:00.000Z', renewedAt: renewedAt.toISOString(), ttlMs: 60_000, bootId: 'another-machine' }));
    writeFileSync(join(dir, foreign, 'vol-x.tar.zst.part'), 'partial');
    lease(new Date());
    const refused = await runCli(['backup', app, '--to', dir]);
    assert.equal(refused.code, 5, refused.stderr);
    assert.match(refused.stderr, /in use by backup other-20260101T000000Z \(elsewhere pid 1/);
    assert.ok(existsSync(join(dir, foreign)), 'a live foreign backup is not removed');

    lease(new Date(Date.now() - 120_000));
    const ok = await runCli(['backup', app, '--to', dir, '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(!existsSync(join(dir, foreign)), "the stale writer's leftovers are removed");
  });
});
