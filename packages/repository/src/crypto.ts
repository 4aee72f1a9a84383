/**
 * restic's authenticated encryption: `IV(16) || AES-256-CTR(plaintext) || MAC(16)`, where the MAC
 * is Poly1305-AES over the ciphertext only, with the one-time key `r || AES-128_k(IV)` (restic's
 * internal/crypto). Node's crypto has AES but no bare Poly1305, so the tag comes from libsodium's
 * crypto_onetimeauth (sodium-native), which clamps `r` as Poly1305-AES requires.
 */
import { createCipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';
import { BugError } from '@dockside/common';
import { CorruptRepositoryError } from './errors.js';

export const IV_SIZE = 16;
export const MAC_SIZE = 16;
/** Bytes a sealed buffer adds to its plaintext. */
export const OVERHEAD = IV_SIZE + MAC_SIZE;

/** A master key (or a key derived from a password): 32 bytes for AES-256, 16 + 16 for the MAC. */
export interface Key {
  encrypt: Buffer;
  macK: Buffer;
  macR: Buffer;
}

interface Sodium {
  crypto_onetimeauth(out: Buffer, input: Buffer, key: Buffer): void;
}
let sodium: Sodium | undefined;
function lib(): Sodium {
  // Loaded on first use: hosts that only list snapshots never load the addon.
  sodium ??= createRequire(import.meta.url)('sodium-native') as Sodium;
  return sodium;
}

export function randomKey(): Key {
  return { encrypt: randomBytes(32), macK: randomBytes(16), macR: randomBytes(16) };
}

export function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

function mac(key: Key, iv: Buffer, ciphertext: Uint8Array): Buffer {
  const aes = createCipheriv('aes-128-ecb', key.macK, null);
  aes.setAutoPadding(false);
  const s = aes.update(iv);
  const otk = Buffer.concat([key.macR, s]);
  const tag = Buffer.alloc(MAC_SIZE);
  lib().crypto_onetimeauth(tag, Buffer.from(ciphertext.buffer, ciphertext.byteOffset, ciphertext.byteLength), otk);
  return tag;
}

/** IVs come 256 at a time from one randomBytes call (one call per blob was a measurable cost with many small files). */
let ivPool = Buffer.alloc(0);
let ivAt = 0;

function newIV(): Buffer {
  for (;;) {
    if (ivAt + IV_SIZE > ivPool.length) {
      ivPool = randomBytes(IV_SIZE * 256);
      ivAt = 0;
    }
    const iv = ivPool.subarray(ivAt, ivAt + IV_SIZE);
    ivAt += IV_SIZE;
    if (iv.some((b) => b !== 0)) return iv; // restic refuses an all-zero IV
  }
}

/** Encrypt and authenticate: IV || ciphertext || MAC. */
export function seal(key: Key, plaintext: Uint8Array): Buffer {
  const iv = newIV();
  const out = Buffer.allocUnsafe(plaintext.length + OVERHEAD);
  iv.copy(out, 0);
  const c = createCipheriv('aes-256-ctr', key.encrypt, iv);
  const n = c.update(plaintext).copy(out, IV_SIZE);
  c.final();
  if (n !== plaintext.length) throw new BugError('aes-ctr returned a short buffer');
  const ct = out.subarray(IV_SIZE, IV_SIZE + n);
  mac(key, iv, ct).copy(out, IV_SIZE + n);
  return out;
}

/** Check the MAC (in constant time), then decrypt. `what` names the data in the error. */
export function open(key: Key, sealed: Uint8Array, what: string): Buffer {
  if (sealed.length < OVERHEAD) throw new CorruptRepositoryError(`${what}: too short to be encrypted data (${sealed.length} bytes)`);
  const b = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const iv = b.subarray(0, IV_SIZE);
  const ct = b.subarray(IV_SIZE, b.length - MAC_SIZE);
  const tag = b.subarray(b.length - MAC_SIZE);
  if (!timingSafeEqual(mac(key, iv, ct), tag)) throw new MacError(what);
  const d = createCipheriv('aes-256-ctr', key.encrypt, iv);
  const out = d.update(ct);
  d.final();
  return out;
}

/** The MAC did not match: wrong key, or the data was changed. */
export class MacError extends CorruptRepositoryError {
  override readonly name: string = 'MacError';
  constructor(what: string) {
    super(`${what}: MAC does not match (the data was changed or damaged)`);
  }
}

/** restic's JSON form of a master key. */
export interface KeyJson {
  mac: { k: string; r: string };
  encrypt: string;
}

export function keyToJson(k: Key): KeyJson {
  return { mac: { k: k.macK.toString('base64'), r: k.macR.toString('base64') }, encrypt: k.encrypt.toString('base64') };
}

export function keyFromJson(j: KeyJson, what: string): Key {
  const k: Key = {
    encrypt: Buffer.from(j?.encrypt ?? '', 'base64'),
    macK: Buffer.from(j?.mac?.k ?? '', 'base64'),
    macR: Buffer.from(j?.mac?.r ?? '', 'base64'),
  };
  if (k.encrypt.length !== 32 || k.macK.length !== 16 || k.macR.length !== 16) throw new CorruptRepositoryError(`${what}: the master key has the wrong size`);
  return k;
}
