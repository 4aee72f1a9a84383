import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DirBackend } from './dir-backend.js';
import { indexJson, MasterIndex } from './master-index.js';
import { Repository } from './repository.js';

const id = (c: string) => c.repeat(64);

describe('master index', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dockside-index-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('ignores index files that another one supersedes (left behind by restic < 0.14 prune)', async () => {
    const repo = await Repository.init(new DirBackend(dir), 'pw', { kdf: { N: 1024, r: 8, p: 1 } });
    const old = await repo.saveJson(
      'index',
      indexJson([
        {
          id: id('1'),
          blobs: [
            { id: id('a'), type: 'data', offset: 0, length: 40 },
            { id: id('b'), type: 'data', offset: 40, length: 40 },
          ],
        },
      ]),
    );
    await repo.saveJson('index', indexJson([{ id: id('2'), blobs: [{ id: id('a'), type: 'data', offset: 0, length: 40, uncompressedLength: 5 }] }], [old]));
    const idx = await MasterIndex.load(repo);
    assert.deepEqual(idx.get('data', id('a')), { pack: id('2'), offset: 0, length: 40, uncompressedLength: 5 });
    assert.equal(idx.has('data', id('b')), false, 'nothing from the superseded index');
    assert.equal(idx.has('tree', id('a')), false, 'data and tree blobs are apart');
    assert.equal(idx.files.length, 1);
  });
});
