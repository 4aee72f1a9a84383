import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Blobs } from './blobs.js';
import { DirBackend } from './dir-backend.js';
import { CorruptRepositoryError } from './errors.js';
import { MasterIndex } from './master-index.js';
import { Repository } from './repository.js';
import { Restorer } from './restorer.js';
import { serializeTree, type TreeNode } from './tree.js';

const T = '2020-01-01T00:00:00Z';
const base = { mtime: T, atime: T, ctime: T, uid: 0, gid: 0 };

describe('restorer against hostile trees', () => {
  const work = mkdtempSync(join(tmpdir(), 'dockside-restorer-'));
  after(() => rmSync(work, { recursive: true, force: true }));
  const outside = join(work, 'outside');
  mkdirSync(outside);

  async function snapshotOf(name: string, build: (blobs: Blobs) => Promise<TreeNode[]>): Promise<Repository> {
    const repo = await Repository.init(new DirBackend(join(work, name)), 'pw', { kdf: { N: 1024, r: 8, p: 1 } });
    const blobs = new Blobs(repo, new MasterIndex());
    const tree = await blobs.save('tree', serializeTree(await build(blobs)));
    await blobs.flush();
    await repo.saveJson('snapshot', { time: T, tree, paths: ['/x'], hostname: 'h', username: 'u' });
    return repo;
  }

  const emptyDir = async (blobs: Blobs) => blobs.save('tree', serializeTree([]));
  const file = async (blobs: Blobs, name: string): Promise<TreeNode> => {
    const id = await blobs.save('data', Buffer.from('pwned'));
    return { name, type: 'file', mode: 0o644, ...base, size: 5, content: [id] };
  };

  for (const [label, build] of [
    ['a name ".."', async (b: Blobs) => [await file(b, '..')]],
    ['a name with a slash', async (b: Blobs) => [await file(b, '../outside/x')]],
    [
      'a symlink out of the target followed by a directory of the same name',
      async (b: Blobs) => {
        const inner = await b.save('tree', serializeTree([await file(b, 'planted')]));
        return [
          { name: 'a', type: 'symlink', mode: 134218239, ...base, linktarget: outside, content: null },
          { name: 'a', type: 'dir', mode: 2147484141, ...base, subtree: inner, content: null },
        ] as TreeNode[];
      },
    ],
    [
      'a directory without a subtree',
      async (b: Blobs) => [{ name: 'd', type: 'dir', mode: 2147484141, ...base, content: null, subtree: await emptyDir(b).then(() => undefined) } as unknown as TreeNode],
    ],
  ] as const) {
    it(`refuses ${label}, writing nothing outside the target`, async () => {
      const repo = await snapshotOf(label.replace(/\W+/g, '-'), build);
      await assert.rejects(Restorer.restore(repo, 'latest', join(work, `${label.replace(/\W+/g, '-')}-target`)), CorruptRepositoryError);
      assert.deepEqual(readdirSync(outside), []);
      assert.deepEqual(
        readdirSync(work).filter((n) => n === 'x' || n === 'planted'),
        [],
      );
    });
  }

  it('refuses a target that is not empty', async () => {
    const repo = await snapshotOf('ok', async (b) => [await file(b, 'f')]);
    const t = join(work, 'busy');
    mkdirSync(join(t, 'something'), { recursive: true });
    await assert.rejects(Restorer.restore(repo, 'latest', t), /is not empty/);
  });
});

describe('restorer reading packs', () => {
  const work = mkdtempSync(join(tmpdir(), 'dockside-restorer-packs-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  it('reads each pack once for many small files, and restores them all', async () => {
    const dir = join(work, 'repo');
    const repo = await Repository.init(new DirBackend(dir), 'pw', { kdf: { N: 1024, r: 8, p: 1 } });
    const blobs = new Blobs(repo, new MasterIndex());
    const nodes: TreeNode[] = [];
    for (let i = 0; i < 200; i++) {
      const body = Buffer.from(`file ${i} `.repeat(50 + i));
      nodes.push({ name: `f${i}`, type: 'file', mode: 0o644, ...base, size: body.length, content: [await blobs.save('data', body)] });
    }
    await blobs.flush();
    await repo.saveJson('snapshot', { time: T, tree: await saveTree(blobs, nodes), paths: ['/x'], hostname: 'h', username: 'u' });
    const backend = new DirBackend(dir);
    const loads: string[] = [];
    const load = backend.load.bind(backend);
    backend.load = (type, name, offset, length) => {
      if (type === 'data') loads.push(name);
      return load(type, name, offset, length);
    };
    const target = join(work, 'out');
    const r = await Restorer.restore(await Repository.open(backend, 'pw'), 'latest', target);
    assert.equal(r.stats.files, 200);
    for (let i = 0; i < 200; i += 37) assert.equal(readFileSync(join(target, `f${i}`), 'utf8'), `file ${i} `.repeat(50 + i));
    // one data pack and one tree pack, each read once (not one read per blob)
    assert.equal(loads.length, 2, `data reads: ${loads.length}`);
  });
});

async function saveTree(blobs: Blobs, nodes: TreeNode[]): Promise<string> {
  const id = await blobs.save('tree', serializeTree(nodes));
  await blobs.flush();
  return id;
}
