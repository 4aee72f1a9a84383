import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Archiver } from './archiver.js';
import { checkRepository } from './checker.js';
import { sha256 } from './crypto.js';
import { MasterIndex } from './master-index.js';
import { DirBackend } from './dir-backend.js';
import { pruneRepository } from './prune.js';
import { Repository } from './repository.js';
import { Restorer } from './restorer.js';
import { listSnapshots } from './snapshot.js';

describe('prune and check', () => {
  const work = mkdtempSync(join(tmpdir(), 'dockside-prune-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  it('forgets a snapshot, removes what only it needed, keeps the rest readable; check finds nothing wrong', async () => {
    const src = join(work, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'keep.bin'), randomBytes(700_000));
    const gone = randomBytes(500_000); // under 512 KiB: one blob, its id the hash of the file
    writeFileSync(join(src, 'gone.bin'), gone);
    writeFileSync(join(work, 'gone.copy'), gone);
    const repo = await Repository.init(new DirBackend(join(work, 'repo')), 'pw', { kdf: { N: 1024, r: 8, p: 1 } });
    const roots = [{ source: src, path: '/data' }];
    const first = await Archiver.backup(repo, { roots, hostname: 'h', parent: null });
    rmSync(join(src, 'gone.bin'));
    writeFileSync(join(src, 'new.bin'), randomBytes(600_000));
    const second = await Archiver.backup(repo, { roots, hostname: 'h' });
    assert.equal(second.snapshot.parent, first.id);

    const before = (await repo.backend.list('data')).length;
    const r = await pruneRepository(repo, { forget: [first.id] });
    assert.deepEqual(r.forgotten, [first.id]);
    assert.ok(r.packsRemoved >= 1 && r.blobsRemoved >= 1, JSON.stringify(r));
    assert.ok((await repo.backend.list('data')).length <= before);
    assert.deepEqual(
      (await listSnapshots(repo)).map((s) => s.id),
      [second.id],
    );
    // Nothing only the forgotten snapshot used is left: its root tree, gone.bin's blob.
    const idx = await MasterIndex.load(repo);
    assert.equal(idx.has('tree', first.snapshot.tree), false, 'the forgotten root tree is gone');
    assert.equal(idx.has('data', sha256(readFileSync(join(work, 'gone.copy'))).toString('hex')), false, "gone.bin's blob is gone");

    const c = await checkRepository(repo);
    assert.deepEqual(c.errors, []);
    assert.ok(c.ok && c.snapshots === 1);
    const out = join(work, 'out');
    const back = await Restorer.restore(repo, 'latest', out);
    assert.equal(back.stats.files, 2);
  });
});
