/**
 * The index: which pack holds each blob, at which offset and length. Index files are
 * `{"supersedes"?: [...], "packs": [{"id", "blobs": [{"id","type","offset","length","uncompressed_length"?}]}]}`;
 * an index named in another's `supersedes` is ignored (restic < 0.14 prune left them around).
 * In memory: one compact BlobTable per blob type (blob-table.ts).
 */
import { BlobTable } from './blob-table.js';
import type { BlobType, PackedBlob } from './pack.js';
import type { Repository } from './repository.js';

export interface IndexEntry {
  pack: string;
  offset: number;
  length: number;
  uncompressedLength?: number;
}

export interface IndexJson {
  supersedes?: string[];
  packs: Array<{ id: string; blobs: Array<{ id: string; type: BlobType; offset: number; length: number; uncompressed_length?: number }> }>;
}

/** restic keeps index files under 8 MiB; this many blobs stays well below. */
export const INDEX_MAX_BLOBS = 50_000;

export class MasterIndex {
  private readonly maps: Record<BlobType, BlobTable> = { data: new BlobTable(), tree: new BlobTable() };
  /** Index files read (not superseded). */
  readonly files: string[] = [];

  has(type: BlobType, id: string): boolean {
    return this.maps[type].has(id);
  }

  get(type: BlobType, id: string): IndexEntry | undefined {
    return this.maps[type].get(id);
  }

  get size(): number {
    return this.maps.data.size + this.maps.tree.size;
  }

  addPack(pack: string, blobs: readonly PackedBlob[]): void {
    for (const b of blobs) {
      const e: IndexEntry = { pack, offset: b.offset, length: b.length };
      if (b.uncompressedLength !== undefined) e.uncompressedLength = b.uncompressedLength;
      this.maps[b.type].add(b.id, e);
    }
  }

  /** Every pack the index names. */
  packs(): Set<string> {
    return new Set([...this.maps.data.packs(), ...this.maps.tree.packs()]);
  }

  static async load(repo: Repository): Promise<MasterIndex> {
    const idx = new MasterIndex();
    for (const { id, json } of await loadIndexFiles(repo)) {
      idx.files.push(id);
      for (const p of json.packs ?? []) idx.addPack(p.id, packedBlobs(p));
    }
    return idx;
  }
}

/** The blobs of one pack entry of an index file, as PackedBlobs. */
export function packedBlobs(p: IndexJson['packs'][number]): PackedBlob[] {
  return (p.blobs ?? []).map((b) => ({
    id: b.id,
    type: b.type,
    offset: b.offset,
    length: b.length,
    ...(b.uncompressed_length === undefined ? {} : { uncompressedLength: b.uncompressed_length }),
  }));
}

/** Every index file that no other one supersedes, parsed. */
export async function loadIndexFiles(repo: Repository): Promise<Array<{ id: string; json: IndexJson }>> {
  const loaded: Array<{ id: string; json: IndexJson }> = [];
  const superseded = new Set<string>();
  for (const f of await repo.backend.list('index')) {
    const json = await repo.loadJson<IndexJson>('index', f.name);
    for (const s of json.supersedes ?? []) superseded.add(s);
    loaded.push({ id: f.name, json });
  }
  return loaded.filter((l) => !superseded.has(l.id));
}

export function indexJson(packs: Array<{ id: string; blobs: readonly PackedBlob[] }>, supersedes?: string[]): IndexJson {
  return {
    ...(supersedes && supersedes.length ? { supersedes } : {}),
    packs: packs.map((p) => ({
      id: p.id,
      blobs: p.blobs.map((b) => ({
        id: b.id,
        type: b.type,
        offset: b.offset,
        length: b.length,
        ...(b.uncompressedLength === undefined ? {} : { uncompressed_length: b.uncompressedLength }),
      })),
    })),
  };
}
