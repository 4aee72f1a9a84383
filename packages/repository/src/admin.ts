/** The operations behind `dockside repo ...`: each opens what it needs and returns plain data to render. */
import { openBackend } from './location.js';
import { type PasswordSource, readPasswordFile, resolvePassword } from './password.js';
import { Repository } from './repository.js';
import type { KdfParams } from './key.js';

export interface RepoRef {
  location: string;
  password: PasswordSource;
  /** For tests: cheaper scrypt parameters. */
  kdf?: KdfParams;
}

export interface InitResult {
  location: string;
  id: string;
  version: number;
  keyId: string;
}

export async function initRepository(ref: RepoRef): Promise<InitResult> {
  const backend = openBackend(ref.location);
  const repo = await Repository.init(backend, resolvePassword(ref.password), ref.kdf ? { kdf: ref.kdf } : {});
  return { location: backend.location, id: repo.config.id, version: repo.config.version, keyId: repo.keyId };
}

export interface KeyRow {
  id: string;
  current: boolean;
  created: string;
  username: string;
  hostname: string;
}

export async function listRepositoryKeys(ref: RepoRef): Promise<KeyRow[]> {
  const repo = await Repository.open(openBackend(ref.location), resolvePassword(ref.password));
  return (await repo.listKeys()).map((k) => ({ ...k, current: k.id === repo.keyId }));
}

export async function addRepositoryKey(ref: RepoRef, newPasswordFile: string): Promise<{ keyId: string }> {
  const fresh = readPasswordFile(newPasswordFile, 'new password file');
  const repo = await Repository.open(openBackend(ref.location), resolvePassword(ref.password));
  return { keyId: await repo.addKey(fresh, ref.kdf) };
}

export async function removeRepositoryKey(ref: RepoRef, id: string): Promise<{ keyId: string }> {
  const repo = await Repository.open(openBackend(ref.location), resolvePassword(ref.password));
  return { keyId: await repo.removeKey(id) };
}
