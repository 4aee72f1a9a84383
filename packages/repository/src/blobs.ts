/**
 * Blobs in and out of packs, checked both ways. Saving: dedupe against the index (and what this
 * session already packed), zstd in v2 (trees always, data when it gets smaller), seal, pack data
 * and trees separately, upload a pack at 16 MiB; `flush()` uploads the rest and writes an index
 * file for the new packs. Loading: MAC, then decompressed length against the index, then the
 * SHA-256 of the plaintext against the blob id.
 */
import { OVERHEAD, open, seal, sha256 } from './crypto.js';
import { CorruptRepositoryError } from './errors.js';
import { INDEX_MAX_BLOBS, indexJson, type MasterIndex } from './master-index.js';
import { type BlobType, PACK_SIZE, PackBuilder, type PackedBlob } from './pack.js';
import type { Repository } from './repository.js';
import { decompressChecked, zstd } from './zstd.js';

export interface BlobStats {
  /** Blobs stored now (not found in the index). */
  newBlobs: number;
  /** Plaintext bytes of those blobs. */
  newBytes: number;
  /** Bytes written into packs (sealed, compressed). */
  storedBytes: number;
  packs: number;
}

export class Blobs {
  private readonly packers: Record<BlobType, PackBuilder> = { data: new PackBuilder(), tree: new PackBuilder() };
  private readonly pending: Array<{ id: string; blobs: readonly PackedBlob[] }> = [];
  private pendingBlobs = 0;
  private uploading: Promise<void> = Promise.resolve();
  /** Blob ids packed this session but not yet in an uploaded pack. */
  private readonly inFlight: Record<BlobType, Set<string>> = { data: new Set(), tree: new Set() };
  readonly stats: BlobStats = { newBlobs: 0, newBytes: 0, storedBytes: 0, packs: 0 };
  /** Index files written this session. */
  readonly indexFiles: string[] = [];

  /** How a stored blob's bytes are read (a restore puts a pack cache here). */
  readBlob: (pack: string, offset: number, length: number) => Promise<Buffer> = (pack, offset, length) => this.repo.backend.load('data', pack, offset, length);

  constructor(
    readonly repo: Repository,
    readonly index: MasterIndex,
    private readonly packSize = PACK_SIZE,
  ) {}

  has(type: BlobType, id: string): boolean {
    return this.index.has(type, id) || this.inFlight[type].has(id);
  }

  /** Store a blob unless the repository has it; returns its id (hex). */
  async save(type: BlobType, plain: Buffer, knownId?: string): Promise<string> {
    const id = knownId ?? sha256(plain).toString('hex');
    if (this.has(type, id)) return id;
    let body: Buffer = plain;
    let uncompressedLength: number | undefined;
    if (this.repo.compressed) {
      const z = zstd().compress(plain);
      if (type === 'tree' || z.length < plain.length) {
        body = z;
        uncompressedLength = plain.length;
      }
    }
    const sealed = seal(this.repo.key, body);
    const p = this.packers[type];
    p.add(id, type, sealed, uncompressedLength);
    this.inFlight[type].add(id);
    this.stats.newBlobs++;
    this.stats.newBytes += plain.length;
    if (p.size >= this.packSize) await this.uploadPack(type);
    return id;
  }

  /**
   * Seal the current pack and start its upload; one upload runs while the next pack fills (its
   * write and fsync overlap reading and chunking). Its blobs count as stored (`has`) meanwhile.
   */
  private async uploadPack(type: BlobType): Promise<void> {
    const p = this.packers[type];
    if (p.empty) return;
    this.packers[type] = new PackBuilder();
    const { id, bytes, blobs } = p.finish(this.repo.key);
    await this.uploading;
    this.uploading = this.repo.backend.save('data', id, bytes).then(async () => {
      this.stats.storedBytes += bytes.length;
      this.stats.packs++;
      this.index.addPack(id, blobs);
      for (const b of blobs) this.inFlight[type].delete(b.id);
      this.pending.push({ id, blobs });
      this.pendingBlobs += blobs.length;
      if (this.pendingBlobs >= INDEX_MAX_BLOBS) await this.writeIndex();
    });
    this.uploading.catch(() => undefined); // awaited by the next upload or flush(); not unhandled meanwhile
  }

  private async writeIndex(): Promise<void> {
    if (this.pending.length === 0) return;
    const id = await this.repo.saveJson('index', indexJson(this.pending.splice(0)));
    this.pendingBlobs = 0;
    this.indexFiles.push(id);
  }

  /** Upload what is packed and index it. Call before saving a snapshot that refers to it. */
  async flush(): Promise<void> {
    await this.uploadPack('data');
    await this.uploadPack('tree');
    await this.uploading;
    await this.writeIndex();
  }

  /** Load and check a blob: MAC, decompressed length, hash. */
  async load(type: BlobType, id: string): Promise<Buffer> {
    const e = this.index.get(type, id);
    const what = `${type} blob ${id.slice(0, 8)}`;
    if (!e)
      throw new CorruptRepositoryError(`${what} is not in the index (a missing index or pack)`, {
        hint: 'run `restic check` on the repository; `restic repair index` (restic >= 0.16) rebuilds it from the packs',
      });
    const where = `${what} in pack ${e.pack.slice(0, 8)}`;
    if (e.length < OVERHEAD) throw new CorruptRepositoryError(`${where}: index says it is ${e.length} bytes, too short`);
    const sealed = await this.readBlob(e.pack, e.offset, e.length).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new CorruptRepositoryError(`${where}: pack ${e.pack} is missing`);
      throw err;
    });
    const body = open(this.repo.key, sealed, where);
    const plain = e.uncompressedLength === undefined ? body : decompressChecked(body, e.uncompressedLength, where);
    if (sha256(plain).toString('hex') !== id) throw new CorruptRepositoryError(`${where}: content does not match its id`);
    return plain;
  }
}
