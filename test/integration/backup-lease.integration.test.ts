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

const oneLine = (stderr: string) =>
  stderr
    .trim()
    .split('\n')
    .filter((l) => !l.trim().startsWith('hint:')).length === 1;

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
      writeFileSync(
        join(dir, foreign, 'lease.json'),
        JSON.stringify({
          id: foreign,
          holder: 'elsewhere pid 1',
          startedAt: '2026-01-01T00:00:00.000Z',
          renewedAt: renewedAt.toISOString(),
          ttlMs: 60_000,
          bootId: 'another-machine',
        }),
      );
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

  test('backups started together: unique ids, one holds the destination, none removes what another wrote', async () => {
    const small = createVolume('lease-small');
    const a = startFixture('leasea', ['--init', '-v', `${small}:/data`, BASE_IMAGE, 'sleep', 'infinity']);
    const b = startFixture('leaseb', ['--init', '-v', `${small}:/data`, BASE_IMAGE, 'sleep', 'infinity']);
    docker('exec', a, 'sh', '-c', 'head -c 20000000 /dev/urandom > /data/r');
    for (const [round, pair] of [
      [1, [a, a]],
      [2, [a, b]],
      [3, [a, b]],
    ] as const) {
      const dir = join(tmp, `together-${round}`);
      const runs = await Promise.all(pair.map((c) => runCli(['backup', c, '--to', dir, '--json'])));
      const ok = runs.filter((r) => r.code === 0);
      for (const r of runs) assert.ok(r.code === 0 || r.code === 5, `round ${round}: exit ${r.code}: ${r.stderr}`);
      assert.ok(ok.length >= 1, `round ${round}: at least one of two backups started together succeeds: ${runs.map((r) => r.stderr).join(' | ')}`);
      const ids = ok.map((r) => JSON.parse(r.stdout).id as string);
      const ls = await runCli(['backup', 'ls', '--from', dir, '--json']);
      assert.equal(ls.code, 0, ls.stderr);
      assert.deepEqual(
        JSON.parse(ls.stdout)
          .backups.map((m: { id: string }) => m.id)
          .sort(),
        [...ids].sort(),
        `round ${round}: every backup that succeeded is there`,
      );
      assert.deepEqual(readdirSync(dir).sort(), [...ids].sort(), `round ${round}: a refused run left nothing and removed nothing`);
      for (const r of runs) if (r.code === 0) assert.doesNotMatch(r.stderr, /removed leftovers/, `round ${round}`);
    }
  });

  test('the leftover sweep and prune remove only what a dead dockside run left, never a folder without its marker', async () => {
    const dir = join(tmp, 'foreign-folders');
    const stranger = 'notes-20250101T000000Z';
    mkdirSync(join(dir, stranger), { recursive: true });
    writeFileSync(join(dir, stranger, 'important.txt'), 'not dockside');
    const dead = 'gone-20250101T000000Z-abcdef';
    mkdirSync(join(dir, dead));
    writeFileSync(join(dir, dead, 'in-progress.json'), JSON.stringify({ id: dead, startedAt: '2025-01-01T00:00:00.000Z', uploads: [] }));
    const ok = await runCli(['backup', app, '--to', dir, '--volume', '/data', '--exclude', 'big.bin', '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(existsSync(join(dir, stranger, 'important.txt')), 'a folder dockside did not write stays');
    assert.ok(!existsSync(join(dir, dead)), "a dead run's leftover goes");
    const p = await runCli(['backup', 'prune', '--from', dir, '--keep-last', '1', '--json']);
    assert.equal(p.code, 0, p.stderr);
    assert.deepEqual(JSON.parse(p.stdout).leftovers, []);
    assert.ok(existsSync(join(dir, stranger, 'important.txt')));
  });
});
