/**
 * Forget snapshots and remove the data no remaining snapshot needs, as `restic forget --prune`,
 * under an exclusive lock. Packs all of whose blobs are used stay; packs with none are removed;
 * the used blobs of the others are copied (still sealed: no re-encryption) into new packs. Order
 * of writes keeps the repository readable at every step: new packs, then a new index naming every
 * pack that stays, then the old index files go, then the old packs.
 */
import { INDEX_MAX_BLOBS, indexJson, loadIndexFiles, MasterIndex, packedBlobs } from './master-index.js';
import { Blobs } from './blobs.js';
import { CorruptRepositoryError } from './errors.js';
import { lockRepository } from './lock.js';
import { PACK_SIZE, PackBuilder, type PackedBlob } from './pack.js';
import type { Repository } from './repository.js';
import { listSnapshots } from './snapshot.js';
import { parseTree } from './tree.js';

export interface PruneOptions {
  /** Snapshot ids to forget first. */
  forget: string[];
  dryRun?: boolean;
}

export interface PruneStats {
  forgotten: string[];
  packsRemoved: number;
  packsRepacked: number;
  packsWritten: number;
  bytesFreed: number;
  blobsRemoved: number;
}

export async function pruneRepository(repo: Repository, opts: PruneOptions): Promise<PruneStats> {
  const lock = await lockRepository(repo, { exclusive: true });
  try {
    return await prune(repo, opts);
  } finally {
    await lock.release();
  }
}

async function prune(repo: Repository, opts: PruneOptions): Promise<PruneStats> {
  const stats: PruneStats = { forgotten: [], packsRemoved: 0, packsRepacked: 0, packsWritten: 0, bytesFreed: 0, blobsRemoved: 0 };
  const snaps = await listSnapshots(repo);
  const forget = new Set(opts.forget);
  const keep = snaps.filter((s) => !forget.has(s.id));
  stats.forgotten = snaps.filter((s) => forget.has(s.id)).map((s) => s.id);

  // What the remaining snapshots use. A tree that cannot be read stops the prune: removing data
  // on a damaged repository would lose what a repair could still find.
  const index = await MasterIndex.load(repo);
  const reader = new Blobs(repo, index);
  const used = new Set<string>();
  const walk = async (tree: string): Promise<void> => {
    if (used.has(`tree:${tree}`)) return;
    used.add(`tree:${tree}`);
    let nodes;
    try {
      nodes = parseTree(await reader.load('tree', tree)).nodes;
    } catch (err) {
      throw new CorruptRepositoryError(`prune stopped, nothing removed: ${(err as Error).message}`, {
        hint: 'run `dockside backup verify` (or `restic check`) and repair the repository first',
      });
    }
    for (const n of nodes) {
      if (n.type === 'dir' && n.subtree) await walk(n.subtree);
      for (const b of n.content ?? []) used.add(`data:${b}`);
    }
  };
  for (const s of keep) await walk(s.snapshot.tree);
  for (const u of used) {
    const [type, id] = u.split(':') as ['data' | 'tree', string];
    if (!index.has(type, id))
      throw new CorruptRepositoryError(`prune stopped, nothing removed: ${type} blob ${id.slice(0, 8)} that a snapshot needs is in no index`, {
        hint: 'run `dockside backup verify` on the repository',
      });
  }

  const files = await loadIndexFiles(repo);
  const packs = new Map<string, PackedBlob[]>();
  for (const f of files) for (const p of f.json.packs ?? []) if (!packs.has(p.id)) packs.set(p.id, packedBlobs(p));
  const sizes = new Map((await repo.backend.list('data')).map((f) => [f.name, f.size]));
  const stays: Array<{ id: string; blobs: PackedBlob[] }> = [];
  const remove: string[] = [];
  const repack: Array<{ id: string; blobs: PackedBlob[] }> = [];
  const placed = new Set<string>();
  for (const [id, blobs] of packs) {
    const usedHere = blobs.filter((b) => used.has(`${b.type}:${b.id}`));
    if (usedHere.length === blobs.length && !blobs.some((b) => placed.has(`${b.type}:${b.id}`))) {
      stays.push({ id, blobs });
      for (const b of blobs) placed.add(`${b.type}:${b.id}`);
    } else if (usedHere.length === 0) remove.push(id);
    else repack.push({ id, blobs });
  }
  // Packs the index does not know (an interrupted backup's) are not touched: restic leaves them too.
  if (opts.dryRun) {
    stats.packsRemoved = remove.length + repack.length;
    stats.packsRepacked = repack.length;
    return stats;
  }
  for (const id of stats.forgotten) await repo.backend.remove('snapshot', id);
  if (remove.length === 0 && repack.length === 0) return stats;

  const written: Array<{ id: string; blobs: PackedBlob[] }> = [];
  let builders: Partial<Record<'data' | 'tree', PackBuilder>> = {};
  const finish = async (type: 'data' | 'tree') => {
    const b = builders[type];
    if (!b || b.empty) return;
    builders = { ...builders, [type]: undefined };
    const { id, bytes, blobs } = b.finish(repo.key);
    await repo.backend.save('data', id, bytes);
    written.push({ id, blobs });
    stats.packsWritten++;
  };
  for (const p of repack) {
    for (const b of p.blobs) {
      const key = `${b.type}:${b.id}`;
      if (!used.has(key) || placed.has(key)) {
        if (!used.has(key)) stats.blobsRemoved++;
        continue;
      }
      const sealed = await repo.backend.load('data', p.id, b.offset, b.length);
      const builder = (builders[b.type] ??= new PackBuilder());
      builder.add(b.id, b.type, sealed, b.uncompressedLength);
      placed.add(key);
      if (builder.size >= PACK_SIZE) await finish(b.type);
    }
    stats.packsRepacked++;
  }
  await finish('data');
  await finish('tree');
  for (const id of remove) stats.blobsRemoved += (packs.get(id) ?? []).length;

  // One new set of index files for everything that stays, then the old ones go.
  const all = [...stays, ...written];
  const newIndexes = new Set<string>();
  let part: typeof all = [];
  let n = 0;
  for (const p of all) {
    part.push(p);
    n += p.blobs.length;
    if (n >= INDEX_MAX_BLOBS) {
      newIndexes.add(await repo.saveJson('index', indexJson(part)));
      part = [];
      n = 0;
    }
  }
  if (part.length) newIndexes.add(await repo.saveJson('index', indexJson(part)));
  for (const f of files) if (!newIndexes.has(f.id)) await repo.backend.remove('index', f.id);
  // Superseded index files (restic < 0.14) that no longer matter.
  for (const f of await repo.backend.list('index')) if (!newIndexes.has(f.name)) await repo.backend.remove('index', f.name);
  for (const id of [...remove, ...repack.map((p) => p.id)]) {
    stats.bytesFreed += sizes.get(id) ?? 0;
    await repo.backend.remove('data', id);
    stats.packsRemoved++;
  }
  return stats;
}
