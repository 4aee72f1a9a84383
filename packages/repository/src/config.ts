/** The repository's `config`: version, id and chunker polynomial, sealed with the master key (never compressed). */
import { randomBytes } from 'node:crypto';
import type { Key } from './crypto.js';
import { open, seal } from './crypto.js';
import { NotARepositoryError } from './errors.js';
import { deg, irreducible, randomPolynomial, type Pol } from './polynomial.js';

export interface Config {
  version: number;
  id: string;
  chunkerPolynomial: Pol;
}

export function newConfig(): Config {
  return { version: 2, id: randomBytes(32).toString('hex'), chunkerPolynomial: randomPolynomial() };
}

export function sealConfig(key: Key, c: Config): Buffer {
  const json = { version: c.version, id: c.id, chunker_polynomial: c.chunkerPolynomial.toString(16) };
  return seal(key, Buffer.from(JSON.stringify(json)));
}

export function openConfig(key: Key, sealed: Buffer, where: string): Config {
  const j = JSON.parse(open(key, sealed, 'config').toString('utf8')) as { version?: number; id?: string; chunker_polynomial?: string };
  if (j.version !== 1 && j.version !== 2) throw new NotARepositoryError(`${where}: repository version ${String(j.version)} is not supported (1 and 2 are)`, 'upgrade dockside');
  if (typeof j.chunker_polynomial !== 'string' || !/^[0-9a-f]+$/.test(j.chunker_polynomial))
    throw new NotARepositoryError(`${where}: config has no chunker polynomial`, 'this is not a restic repository');
  const pol = BigInt(`0x${j.chunker_polynomial}`);
  if (deg(pol) < 40 || deg(pol) > 53 || !irreducible(pol))
    throw new NotARepositoryError(`${where}: config's chunker polynomial is not an irreducible polynomial of degree 40 to 53`, 'this is not a restic repository');
  return { version: j.version, id: j.id ?? '', chunkerPolynomial: pol };
}
