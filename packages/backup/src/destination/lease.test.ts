/** The destination lease on a real directory destination: a second writer is refused, stale and dead leases are taken over. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isUserError } from '@dockside/common';
import { acquireLease, liveWriters, LEASE_FILE } from './lease.js';
import { DirDestination } from './dir.js';

const none = { activeIds: new Set<string>() };

async function withDestination(fn: (s: DirDestination) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ds-lease-'));
  try {
    await fn(new DirDestination(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const refusalOf = (err: unknown) => {
  assert.ok(isUserError(err));
  assert.equal(err.exitCode, 5);
};

const refusal = (err: unknown) => {
  assert.ok(isUserError(err));
  assert.equal(err.exitCode, 5);
  assert.match(err.message, /is in use by backup app-20260101T000000Z/);
  return true;
};

test('a second writer is refused with exit code 5 while the first renews its lease', async () => {
  await withDestination(async (s) => {
    const a = await acquireLease(s, 'app-20260101T000000Z', '2026-01-01T00:00:00.000Z', none, 400);
    await new Promise((r) => setTimeout(r, 700)); // longer than the TTL: renewals keep it live
    await assert.rejects(acquireLease(s, 'app-20260101T000100Z', '2026-01-01T00:01:00.000Z', none, 400), refusal);
    assert.deepEqual(
      (await liveWriters(s, none)).map((l) => l.id),
      ['app-20260101T000000Z'],
    );
    await a.release();
    assert.equal(await s.read('app-20260101T000000Z', LEASE_FILE), undefined);
    const b = await acquireLease(s, 'app-20260101T000100Z', '2026-01-01T00:01:00.000Z', none, 400);
    await b.release();
  });
});

test('a lease not renewed within its time to live is taken over', async () => {
  await withDestination(async (s) => {
    const a = await acquireLease(s, 'app-20260101T000000Z', '2026-01-01T00:00:00.000Z', none, 300);
    await a.release(true); // stops renewing, leaves the file: a killed writer
    await assert.rejects(acquireLease(s, 'app-20260101T000100Z', '2026-01-01T00:01:00.000Z', none, 300), refusal);
    await new Promise((r) => setTimeout(r, 400));
    const b = await acquireLease(s, 'app-20260101T000100Z', '2026-01-01T00:01:00.000Z', none, 300);
    await b.release();
  });
});

test('a lease from this machine whose backup no longer runs here is dead at once', async () => {
  await withDestination(async (s) => {
    const local = { activeIds: new Set(['app-20260101T000000Z']), bootId: 'boot-1' };
    const a = await acquireLease(s, 'app-20260101T000000Z', '2026-01-01T00:00:00.000Z', local, 60_000);
    await a.release(true);
    await assert.rejects(acquireLease(s, 'app-20260101T000100Z', '2026-01-01T00:01:00.000Z', local, 60_000), refusal);
    const b = await acquireLease(s, 'app-20260101T000100Z', '2026-01-01T00:01:00.000Z', { activeIds: new Set(), bootId: 'boot-1' }, 60_000);
    await b.release();
  });
});

test('two writers starting at once: one holds the destination, the other is refused', async () => {
  await withDestination(async (s) => {
    const results = await Promise.allSettled([
      acquireLease(s, 'app-20260101T000100Z', '2026-01-01T00:01:00.000Z', none, 60_000),
      acquireLease(s, 'app-20260101T000000Z', '2026-01-01T00:00:00.000Z', none, 60_000),
    ]);
    // Exactly one holds the destination, whatever the interleaving.
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results)
      if (r.status === 'fulfilled') await r.value.release();
      else refusalOf(r.reason);
  });
});

test('a lease first taken after the host listed its running backups is live, though the list lacks it', async () => {
  await withDestination(async (s) => {
    const seenAt = Date.now() - 5000;
    const a = await acquireLease(s, 'app-20260101T000000Z', '2026-01-01T00:00:00.000Z', { activeIds: new Set(), bootId: 'boot-1' }, 60_000, { fresh: true });
    // A second run whose list of running backups predates the first one's start.
    await assert.rejects(
      acquireLease(s, 'other-20260101T000000Z', '2026-01-01T00:00:00.000Z', { activeIds: new Set(), bootId: 'boot-1', seenAt }, 60_000, { fresh: true }),
      refusal,
    );
    assert.equal(await s.read('other-20260101T000000Z', LEASE_FILE), undefined, 'the refused run left nothing');
    await a.release();
  });
});

test('a new backup folder is created exclusively: a second run with the same id is refused and removes nothing', async () => {
  await withDestination(async (s) => {
    const a = await acquireLease(s, 'app-20260101T000000Z', '2026-01-01T00:00:00.000Z', none, 60_000, { fresh: true });
    await s.write('app-20260101T000000Z', 'vol-x.tar.zst', Buffer.from('mine'));
    await assert.rejects(acquireLease(s, 'app-20260101T000000Z', '2026-01-01T00:00:00.000Z', none, 60_000, { fresh: true }), /already exists/);
    assert.equal((await s.read('app-20260101T000000Z', 'vol-x.tar.zst'))?.toString(), 'mine');
    await a.release();
  });
});
