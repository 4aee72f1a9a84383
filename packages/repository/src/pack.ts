/**
 * Pack files: `blob1 || ... || blobN || sealed header || header length (uint32 LE)`. Header entries
 * are `type(1) length(4) [uncompressed length(4)] id(32)`, types 0/1 data/tree, 2/3 the same
 * compressed (v2). Offsets are implicit: blobs follow each other from byte 0.
 */
import type { Key } from './crypto.js';
import { OVERHEAD, open, seal, sha256 } from './crypto.js';
import { CorruptRepositoryError } from './errors.js';

export type BlobType = 'data' | 'tree';

export interface PackedBlob {
  id: string;
  type: BlobType;
  offset: number;
  /** Stored (sealed) length. */
  length: number;
  /** Plaintext length when the blob is compressed. */
  uncompressedLength?: number;
}

/** restic's default pack size target. */
export const PACK_SIZE = 16 * 1024 * 1024;

export class PackBuilder {
  private parts: Buffer[] = [];
  readonly blobs: PackedBlob[] = [];
  size = 0;

  add(id: string, type: BlobType, sealed: Buffer, uncompressedLength?: number): void {
    this.blobs.push({ id, type, offset: this.size, length: sealed.length, ...(uncompressedLength === undefined ? {} : { uncompressedLength }) });
    this.parts.push(sealed);
    this.size += sealed.length;
  }

  get empty(): boolean {
    return this.blobs.length === 0;
  }

  /** The whole pack file and its id (the SHA-256 of its bytes). */
  finish(key: Key): { id: string; bytes: Buffer; blobs: PackedBlob[] } {
    const entries: Buffer[] = [];
    for (const b of this.blobs) {
      const compressed = b.uncompressedLength !== undefined;
      const e = Buffer.alloc(compressed ? 41 : 37);
      e[0] = (b.type === 'data' ? 0 : 1) + (compressed ? 2 : 0);
      e.writeUInt32LE(b.length, 1);
      if (compressed) e.writeUInt32LE(b.uncompressedLength as number, 5);
      Buffer.from(b.id, 'hex').copy(e, compressed ? 9 : 5);
      entries.push(e);
    }
    const header = seal(key, Buffer.concat(entries));
    const len = Buffer.alloc(4);
    len.writeUInt32LE(header.length, 0);
    const bytes = Buffer.concat([...this.parts, header, len]);
    return { id: sha256(bytes).toString('hex'), bytes, blobs: this.blobs };
  }
}

/** Parse a pack's header from the whole pack (or any tail that holds the header and its length). */
export function parsePackHeader(key: Key, tail: Buffer, packSize: number, what: string): PackedBlob[] {
  if (tail.length < 4) throw new CorruptRepositoryError(`${what}: too short to be a pack`);
  const hlen = tail.readUInt32LE(tail.length - 4);
  if (hlen + 4 > tail.length || hlen < OVERHEAD) throw new CorruptRepositoryError(`${what}: header length ${hlen} does not fit the pack`);
  const header = open(key, tail.subarray(tail.length - 4 - hlen, tail.length - 4), `${what} header`);
  const out: PackedBlob[] = [];
  let offset = 0;
  for (let p = 0; p < header.length; ) {
    const t = header[p] as number;
    if (t > 3) throw new CorruptRepositoryError(`${what}: unknown blob type ${t} in the header`);
    const compressed = t >= 2;
    const n = compressed ? 41 : 37;
    if (p + n > header.length) throw new CorruptRepositoryError(`${what}: truncated header entry`);
    const length = header.readUInt32LE(p + 1);
    const b: PackedBlob = { id: header.subarray(p + (compressed ? 9 : 5), p + n).toString('hex'), type: t % 2 === 0 ? 'data' : 'tree', offset, length };
    if (compressed) b.uncompressedLength = header.readUInt32LE(p + 5);
    out.push(b);
    offset += length;
    p += n;
  }
  if (offset + hlen + 4 !== packSize) throw new CorruptRepositoryError(`${what}: blobs and header add up to ${offset + hlen + 4} bytes, the pack has ${packSize}`);
  return out;
}
