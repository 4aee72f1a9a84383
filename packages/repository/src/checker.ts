/**
 * Reading a whole repository back, as `restic check --read-data` does, and more: every pack's
 * hash against its name, its header against the index, every blob's MAC, hash and decompressed
 * length against the index (a wrong `uncompressed_length` passes restic's check and corrupts a
 * restore), every snapshot's trees walked and every blob they name present. A damaged blob is
 * reported with the files that need it. Takes a non-exclusive lock (it changes nothing; a prune
 * cannot remove packs under it).
 */
import { Blobs } from './blobs.js';
import { open, sha256 } from './crypto.js';
import { CorruptRepositoryError } from './errors.js';
import { lockRepository } from './lock.js';
import { loadIndexFiles, MasterIndex, packedBlobs } from './master-index.js';
import { parsePackHeader, type PackedBlob } from './pack.js';
import type { Repository } from './repository.js';
import { listSnapshots } from './snapshot.js';
import { parseTree } from './tree.js';
import { decompressChecked } from './zstd.js';

export interface CheckProgress {
  packs: number;
  totalPacks: number;
  bytes: number;
  totalBytes: number;
}

export interface CheckResult {
  ok: boolean;
  packs: number;
  blobs: number;
  bytes: number;
  snapshots: number;
  /** One line per problem. */
  errors: string[];
  /** Files (snapshot id prefix and path) whose content a problem touches, first 100. */
  affected: string[];
  affectedCount: number;
}

const MAX_LISTED = 100;

function sameBlob(a: PackedBlob, b: PackedBlob): boolean {
  return a.id === b.id && a.type === b.type && a.offset === b.offset && a.length === b.length && a.uncompressedLength === b.uncompressedLength;
}

export async function checkRepository(repo: Repository, opts: { onProgress?: (p: CheckProgress) => void } = {}): Promise<CheckResult> {
  const lock = await lockRepository(repo, { exclusive: false });
  try {
    return await check(repo, opts);
  } finally {
    await lock.release();
  }
}

async function check(repo: Repository, opts: { onProgress?: (p: CheckProgress) => void }): Promise<CheckResult> {
  const errors: string[] = [];
  /** Blob ids (type:id) found damaged or missing. */
  const bad = new Set<string>();
  const files = await loadIndexFiles(repo);
  const indexed = new Map<string, PackedBlob[]>();
  for (const f of files) for (const p of f.json.packs ?? []) indexed.set(p.id, [...(indexed.get(p.id) ?? []), ...packedBlobs(p)]);
  const stored = new Map((await repo.backend.list('data')).map((f) => [f.name, f.size]));
  const totalBytes = [...indexed.keys()].reduce((n, id) => n + (stored.get(id) ?? 0), 0);
  const progress: CheckProgress = { packs: 0, totalPacks: indexed.size, bytes: 0, totalBytes };
  let blobs = 0;
  for (const [id, entries] of indexed) {
    const what = `pack ${id.slice(0, 8)}`;
    const size = stored.get(id);
    const markAll = () => entries.forEach((b) => bad.add(`${b.type}:${b.id}`));
    if (size === undefined) {
      errors.push(`${what} is missing (the index names ${entries.length} blob(s) in it)`);
      markAll();
      continue;
    }
    let bytes: Buffer;
    try {
      bytes = await repo.backend.load('data', id);
    } catch (err) {
      errors.push(`${what} cannot be read: ${(err as Error).message}`);
      markAll();
      continue;
    }
    progress.packs++;
    progress.bytes += bytes.length;
    if (sha256(bytes).toString('hex') !== id) errors.push(`${what}: its content does not match its name (corrupt or truncated)`);
    let header: PackedBlob[] | undefined;
    try {
      header = parsePackHeader(repo.key, bytes, bytes.length, what);
    } catch (err) {
      errors.push((err as Error).message);
    }
    for (const b of entries) {
      blobs++;
      const where = `${b.type} blob ${b.id.slice(0, 8)} in ${what}`;
      try {
        const h = header?.find((x) => x.id === b.id && x.type === b.type && x.offset === b.offset);
        if (header && (!h || !sameBlob(h, b)))
          throw new CorruptRepositoryError(`${where}: the index and the pack's header disagree (${JSON.stringify(h ?? null)} vs ${JSON.stringify(b)})`);
        if (b.offset + b.length > bytes.length) throw new CorruptRepositoryError(`${where}: past the end of the pack`);
        const body = open(repo.key, bytes.subarray(b.offset, b.offset + b.length), where);
        const plain = b.uncompressedLength === undefined ? body : decompressChecked(body, b.uncompressedLength, where);
        if (sha256(plain).toString('hex') !== b.id) throw new CorruptRepositoryError(`${where}: content does not match its id`);
      } catch (err) {
        errors.push((err as Error).message);
        bad.add(`${b.type}:${b.id}`);
      }
    }
    opts.onProgress?.(progress);
  }
  for (const id of stored.keys()) if (!indexed.has(id)) errors.push(`pack ${id.slice(0, 8)} is in no index (\`restic repair index\` or a prune handles it)`);

  // Every snapshot's trees, and every blob they name.
  const index = await MasterIndex.load(repo);
  const reader = new Blobs(repo, index);
  const affected: string[] = [];
  let affectedCount = 0;
  const touch = (path: string) => {
    affectedCount++;
    if (affected.length < MAX_LISTED) affected.push(path);
  };
  const snaps = await listSnapshots(repo);
  const walked = new Set<string>();
  for (const s of snaps) {
    const tag = `snapshot ${s.id.slice(0, 8)}`;
    const walk = async (tree: string, path: string): Promise<void> => {
      if (bad.has(`tree:${tree}`) || !index.has('tree', tree)) {
        if (!bad.has(`tree:${tree}`)) errors.push(`${tag}: tree ${tree.slice(0, 8)} of ${path} is in no index`);
        bad.add(`tree:${tree}`);
        touch(`${tag}:${path}`);
        return;
      }
      if (walked.has(tree) && !bad.size) return; // seen it whole; only paths to damage are wanted
      walked.add(tree);
      let nodes;
      try {
        nodes = parseTree(await reader.load('tree', tree)).nodes;
      } catch (err) {
        errors.push(`${tag}: ${path}: ${(err as Error).message}`);
        touch(`${tag}:${path}`);
        return;
      }
      for (const n of nodes) {
        const p = `${path === '/' ? '' : path}/${n.name}`;
        if (n.type === 'dir') {
          if (!n.subtree) errors.push(`${tag}: ${p}: directory without a subtree`);
          else await walk(n.subtree, p);
        } else if (n.type === 'file') {
          if (!Array.isArray(n.content)) errors.push(`${tag}: ${p}: file has nil blob list`);
          const missing = (n.content ?? []).filter((b) => bad.has(`data:${b}`) || !index.has('data', b));
          for (const b of missing) if (!bad.has(`data:${b}`) && !index.has('data', b)) errors.push(`${tag}: ${p}: data blob ${b.slice(0, 8)} is in no index`);
          if (missing.length) touch(`${tag}:${p}`);
        }
      }
    };
    await walk(s.snapshot.tree, '/');
  }
  return { ok: errors.length === 0, packs: indexed.size, blobs, bytes: progress.bytes, snapshots: snaps.length, errors: [...new Set(errors)], affected, affectedCount };
}
