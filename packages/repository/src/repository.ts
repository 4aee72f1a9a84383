/**
 * An opened repository: a backend, the master key, the config. Reads and writes the "unpacked"
 * files (index, snapshot, lock): sealed JSON, in v2 as `0x02 || zstd(JSON)`, each named by the
 * SHA-256 of the stored bytes, which is checked on every read.
 */
import type { Backend, FileType } from './backend.js';
import { chunkerTables, type ChunkerTables } from './chunker.js';
import { type Config, newConfig, openConfig, sealConfig } from './config.js';
import { type Key, open, randomKey, seal, sha256 } from './crypto.js';
import { CorruptRepositoryError, NotARepositoryError, RepositoryUsageError } from './errors.js';
import { addKey, DEFAULT_KDF, type KdfParams, listKeys, openWithPassword, type KeyInfo } from './key.js';
import { zstd } from './zstd.js';

export interface InitOptions {
  kdf?: KdfParams;
  /** For tests: a fixed config (polynomial) instead of a random one. */
  config?: Config;
}

export class Repository {
  private tablesCache: ChunkerTables | undefined;

  private constructor(
    readonly backend: Backend,
    readonly key: Key,
    readonly config: Config,
    /** The id of the key file the password opened. */
    readonly keyId: string,
  ) {}

  /** Create a v2 repository: config with a random irreducible polynomial, one key for `password`. */
  static async init(backend: Backend, password: string | Buffer, opts: InitOptions = {}): Promise<Repository> {
    if ((await backend.stat('config', 'config')) !== undefined)
      throw new NotARepositoryError(`${backend.location} already holds a repository`, 'use it as it is, or choose another location');
    if ((await backend.list('key')).length > 0) throw new NotARepositoryError(`${backend.location} holds keys but no config`, 'choose an empty location');
    const master = randomKey();
    const config = opts.config ?? newConfig();
    const keyId = await addKey(backend, password, master, opts.kdf ?? DEFAULT_KDF);
    await backend.save('config', 'config', sealConfig(master, config));
    return new Repository(backend, master, config, keyId);
  }

  static async open(backend: Backend, password: string | Buffer): Promise<Repository> {
    if ((await backend.stat('config', 'config')) === undefined) throw new NotARepositoryError(`${backend.location} is not a repository (it has no config)`);
    const { id, key } = await openWithPassword(backend, password);
    const config = openConfig(key, await backend.load('config', 'config'), backend.location);
    return new Repository(backend, key, config, id);
  }

  get tables(): ChunkerTables {
    this.tablesCache ??= chunkerTables(this.config.chunkerPolynomial);
    return this.tablesCache;
  }

  /** v2 compresses blobs and unpacked files; v1 (restic < 0.14) does not. */
  get compressed(): boolean {
    return this.config.version >= 2;
  }

  async addKey(password: string | Buffer, kdf?: KdfParams): Promise<string> {
    return addKey(this.backend, password, this.key, kdf ?? DEFAULT_KDF);
  }

  listKeys(): Promise<KeyInfo[]> {
    return listKeys(this.backend);
  }

  /** Remove a key; never the one in use (as restic), so a repository always keeps a key. */
  async removeKey(id: string): Promise<string> {
    const keys = await this.backend.list('key');
    const matches = keys.filter((k) => k.name.startsWith(id));
    if (matches.length === 0) throw new RepositoryUsageError(`no key ${id} in ${this.backend.location}`, 'list them with `dockside repo key list`');
    if (matches.length > 1) throw new RepositoryUsageError(`key id ${id} is ambiguous (${matches.length} keys start with it)`, 'give more of the id');
    const m = matches[0] as { name: string };
    if (m.name === this.keyId)
      throw new RepositoryUsageError(
        `key ${m.name.slice(0, 8)} is the one this password opened; it cannot be removed with it`,
        "open the repository with another key's password to remove this one",
      );
    await this.backend.remove('key', m.name);
    return m.name;
  }

  /** Seal JSON (compressed in v2) and store it under its hash; returns the id. */
  async saveJson(type: Exclude<FileType, 'config' | 'key' | 'data'>, value: unknown): Promise<string> {
    const json = Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
    const plain = this.compressed ? Buffer.concat([Buffer.from([2]), zstd().compress(json)]) : json;
    const sealed = seal(this.key, plain);
    const id = sha256(sealed).toString('hex');
    await this.backend.save(type, id, sealed);
    return id;
  }

  async loadJson<T>(type: Exclude<FileType, 'config' | 'key' | 'data'>, id: string): Promise<T> {
    const what = `${type} ${id.slice(0, 8)}`;
    const sealed = await this.backend.load(type, id);
    if (sha256(sealed).toString('hex') !== id) throw new CorruptRepositoryError(`${what}: the file's hash does not match its name`);
    const plain = open(this.key, sealed, what);
    let json: Buffer;
    if (plain[0] === 0x7b || plain[0] === 0x5b) json = plain;
    else if (plain[0] === 2) json = zstd().decompress(plain.subarray(1));
    else throw new CorruptRepositoryError(`${what}: unknown format version ${String(plain[0])}`);
    try {
      return JSON.parse(json.toString('utf8')) as T;
    } catch (err) {
      throw new CorruptRepositoryError(`${what}: not valid JSON`, { cause: err });
    }
  }
}
