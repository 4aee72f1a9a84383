/**
 * Key files (`keys/<id>`): a password, stretched by scrypt, opens the repository's master key.
 * scrypt yields 64 bytes: 32 for AES, 16 + 16 for the MAC key that seal the master key's JSON.
 */
import { randomBytes, scrypt as scryptCb } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import { currentUser } from './current-user.js';
import type { Backend } from './backend.js';
import { type Key, type KeyJson, keyFromJson, keyToJson, open, seal, sha256 } from './crypto.js';
import { CorruptRepositoryError, WrongPasswordError } from './errors.js';
import { MacError } from './crypto.js';

export interface KdfParams {
  N: number;
  r: number;
  p: number;
}

/**
 * Fixed rather than tuned: N=2^15, r=8 is scrypt's interactive setting; p=4 makes a derivation
 * take 0.3 to 0.6 s on one core here (idle to loaded), which every password guess has to pay.
 */
export const DEFAULT_KDF: KdfParams = { N: 32768, r: 8, p: 4 };

export interface KeyFile {
  created: string;
  username?: string;
  hostname?: string;
  kdf: string;
  N: number;
  r: number;
  p: number;
  salt: string;
  data: string;
}

export interface KeyInfo {
  id: string;
  created: string;
  username: string;
  hostname: string;
}

export function deriveKey(password: string | Buffer, salt: Buffer, k: KdfParams): Promise<Key> {
  // Node's default maxmem (32 MiB) is below what restic's own parameters need.
  const maxmem = 128 * k.r * (k.N + k.p + 2) + 1024 * 1024;
  return new Promise((resolve, reject) =>
    scryptCb(password, salt, 64, { N: k.N, r: k.r, p: k.p, maxmem }, (err, out) => {
      if (err) return reject(err);
      resolve({ encrypt: out.subarray(0, 32), macK: out.subarray(32, 48), macR: out.subarray(48, 64) });
    }),
  );
}

/** Write a new key file holding `master`, sealed with `password`; returns its id. */
export async function addKey(backend: Backend, password: string | Buffer, master: Key, kdf: KdfParams = DEFAULT_KDF, now = new Date()): Promise<string> {
  const salt = randomBytes(64);
  const user = await deriveKey(password, salt, kdf);
  const data = seal(user, Buffer.from(JSON.stringify(keyToJson(master))));
  const file: KeyFile = {
    created: now.toISOString(),
    username: safeUsername(),
    hostname: osHostname(),
    kdf: 'scrypt',
    N: kdf.N,
    r: kdf.r,
    p: kdf.p,
    salt: salt.toString('base64'),
    data: data.toString('base64'),
  };
  const bytes = Buffer.from(JSON.stringify(file));
  const id = sha256(bytes).toString('hex');
  await backend.save('key', id, bytes);
  return id;
}

function safeUsername(): string {
  return currentUser().username;
}

function parseKeyFile(bytes: Buffer, id: string): KeyFile {
  let f: KeyFile;
  try {
    f = JSON.parse(bytes.toString('utf8')) as KeyFile;
  } catch {
    throw new CorruptRepositoryError(`keys/${id}: not a key file (bad JSON)`);
  }
  if (f.kdf !== 'scrypt') throw new CorruptRepositoryError(`keys/${id}: unknown key derivation ${JSON.stringify(f.kdf)}`);
  return f;
}

/** Try one key file with a password: the master key, or undefined when the password does not open it. */
export async function tryKey(backend: Backend, id: string, password: string | Buffer): Promise<Key | undefined> {
  const f = parseKeyFile(await backend.load('key', id), id);
  const user = await deriveKey(password, Buffer.from(f.salt, 'base64'), { N: f.N, r: f.r, p: f.p });
  let plain: Buffer;
  try {
    plain = open(user, Buffer.from(f.data, 'base64'), `keys/${id}`);
  } catch (err) {
    if (err instanceof MacError) return undefined;
    throw err;
  }
  return keyFromJson(JSON.parse(plain.toString('utf8')) as KeyJson, `keys/${id}`);
}

/** Find the key this password opens (restic tries them all); a typed error when none does. */
export async function openWithPassword(backend: Backend, password: string | Buffer): Promise<{ id: string; key: Key }> {
  const keys = await backend.list('key');
  if (keys.length === 0) throw new CorruptRepositoryError(`${backend.location}: the repository has no keys`);
  for (const k of keys) {
    const key = await tryKey(backend, k.name, password);
    if (key) return { id: k.name, key };
  }
  throw new WrongPasswordError(backend.location);
}

export async function listKeys(backend: Backend): Promise<KeyInfo[]> {
  const out: KeyInfo[] = [];
  for (const k of await backend.list('key')) {
    const f = parseKeyFile(await backend.load('key', k.name), k.name);
    out.push({ id: k.name, created: f.created, username: f.username ?? '', hostname: f.hostname ?? '' });
  }
  return out.sort((a, b) => a.created.localeCompare(b.created));
}
