/** A repository location as the user writes it: /abs/dir or file:///abs/dir (s3:// comes with the S3 backend). */
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend } from './backend.js';
import { DirBackend } from './dir-backend.js';
import { RepositoryUsageError } from './errors.js';

export function openBackend(location: string): Backend {
  if (location.startsWith('s3://') || location.startsWith('s3:'))
    throw new RepositoryUsageError(`S3 repositories are not supported yet: ${location}`, 'use a directory for now (/abs/dir)');
  if (location.startsWith('file://')) return new DirBackend(fileURLToPath(location));
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) throw new RepositoryUsageError(`unknown repository location ${location}`, 'give /abs/dir or file:///abs/dir');
  if (!isAbsolute(location)) return new DirBackend(resolve(location));
  return new DirBackend(location);
}
