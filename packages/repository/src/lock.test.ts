import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DirBackend } from './dir-backend.js';
import { RepositoryLockedError } from './errors.js';
import { lockRepository, STALE_AFTER_MS } from './lock.js';
import { Repository } from './repository.js';

describe('locks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dockside-lock-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let clock = Date.UTC(2026, 0, 1);
  const now = () => clock;
  const other = { hostname: 'elsewhere', pid: 4242, now };

  it('shares non-exclusive locks, refuses around an exclusive one (exit 5), ignores it when stale', async () => {
    const repo = await Repository.init(new DirBackend(join(dir, 'r')), 'pw', { kdf: { N: 1024, r: 8, p: 1 } });
    const a = await lockRepository(repo, { exclusive: false, ...other });
    const b = await lockRepository(repo, { exclusive: false, now });
    await assert.rejects(
      lockRepository(repo, { exclusive: true, now }),
      (e: unknown) => e instanceof RepositoryLockedError && e.exitCode === 5 && /is locked: a lock held by PID \d+ on /.test(e.message),
    );
    await a.release();
    await b.release();
    const x = await lockRepository(repo, { exclusive: true, ...other });
    await assert.rejects(lockRepository(repo, { exclusive: false, now }), RepositoryLockedError);
    clock += STALE_AFTER_MS - 1000;
    await assert.rejects(lockRepository(repo, { exclusive: false, now }), RepositoryLockedError);
    await x.refresh(); // refreshed: fresh again for another 30 minutes
    clock += STALE_AFTER_MS - 1000;
    await assert.rejects(lockRepository(repo, { exclusive: false, now }), RepositoryLockedError);
    clock += 2000;
    const c = await lockRepository(repo, { exclusive: false, now }); // x is stale now
    await c.release();
    assert.equal((await repo.backend.list('lock')).length, 1, 'only the stale lock is left');
  });

  it('ignores the lock of a dead process on this host', async () => {
    const repo = await Repository.init(new DirBackend(join(dir, 'r2')), 'pw', { kdf: { N: 1024, r: 8, p: 1 } });
    await lockRepository(repo, { exclusive: true, hostname: 'here', pid: 999999, now });
    await assert.rejects(lockRepository(repo, { exclusive: false, hostname: 'here', now, alive: () => true }), RepositoryLockedError);
    const l = await lockRepository(repo, { exclusive: false, hostname: 'here', now, alive: () => false });
    await l.release();
  });
});
