/**
 * Where a repository password comes from, in order: an explicit file (--password-file /
 * DOCKSIDE_REPO_PASSWORD_FILE), restic's RESTIC_PASSWORD_FILE, restic's RESTIC_PASSWORD. A file
 * is read as restic reads it (surrounding whitespace, such as the final newline, is not part of it),
 * so the same file opens the repository with both tools.
 */
import { readFileSync } from 'node:fs';
import { RepositoryUsageError } from './errors.js';

export interface PasswordSource {
  file?: string;
  env?: NodeJS.ProcessEnv;
}

export function readPasswordFile(file: string, what = 'password file'): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RepositoryUsageError(
      `cannot read the ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      'give a readable file holding the password',
    );
  }
  const pw = text.replace(/^\ufeff/, '').trim();
  if (pw === '') throw new RepositoryUsageError(`the ${what} ${file} is empty`, 'an empty password is not allowed (restic refuses it too)');
  return pw;
}

export function resolvePassword(src: PasswordSource): string {
  const env = src.env ?? {};
  if (src.file) return readPasswordFile(src.file);
  if (env.RESTIC_PASSWORD_FILE) return readPasswordFile(env.RESTIC_PASSWORD_FILE, 'RESTIC_PASSWORD_FILE');
  if (env.RESTIC_PASSWORD) return env.RESTIC_PASSWORD;
  throw new RepositoryUsageError('no repository password given', 'pass --password-file FILE (or DOCKSIDE_REPO_PASSWORD_FILE, RESTIC_PASSWORD_FILE, RESTIC_PASSWORD)');
}
