/**
 * A repository destination (restic's format): a directory destination that holds a `config` file.
 * The password is read on the host (--password-file / DOCKSIDE_REPO_PASSWORD_FILE,
 * RESTIC_PASSWORD_FILE, RESTIC_PASSWORD) and checked by opening the repository there, before the
 * target is paused or a sidecar started; it reaches the sidecar only as a 0400 file copied in at
 * start, never env, argv, labels or logs.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '@dockside/common';
import type { SidecarFile } from '@dockside/engine';
import type { Repository } from '@dockside/repository';
import { parseDestination } from './parse.js';

export const REPO_PASSWORD_FILE = '/etc/dockside/repo-password';

export interface RepositoryAccess {
  /** --password-file (else RESTIC_PASSWORD_FILE, else RESTIC_PASSWORD). */
  passwordFile?: string;
}

/**
 * The host directory of `destination` when it is a repository (it holds a `config`), else
 * undefined (an archive destination). A directory with a repository's keys but no config, or one
 * named with --password-file that holds none, is refused: the user meant a repository.
 */
export async function repositoryPath(destination: string, passwordFile?: string): Promise<string | undefined> {
  let spec;
  try {
    spec = parseDestination(destination);
  } catch {
    return undefined;
  }
  if (spec.kind !== 'dir') {
    if (passwordFile)
      throw new UsageError(`--password-file is for repositories; ${destination} is an S3 archive destination (repositories on S3 are not supported yet)`, {
        hint: 'leave --password-file out, or use a repository directory',
      });
    return undefined;
  }
  const s = await stat(join(spec.path, 'config')).catch(() => undefined);
  if (s?.isFile()) return spec.path;
  const keys = await stat(join(spec.path, 'keys')).catch(() => undefined);
  if (keys?.isDirectory())
    throw new UsageError(`${spec.path} is not a repository: it has keys/ but no config (damaged, or half-created)`, {
      hint: "point at the repository's top directory, or create one with `dockside repo init`",
    });
  if (passwordFile)
    throw new UsageError(`${spec.path} is not a repository (it has no config)`, { hint: 'create one with `dockside repo init <dir>`, or leave --password-file out for archives' });
  return undefined;
}

export interface OpenedRepository {
  repo: Repository;
  password: string;
  /** The password as the sidecar gets it. */
  file: SidecarFile;
}

export async function openHostRepository(path: string, access: RepositoryAccess, env: NodeJS.ProcessEnv): Promise<OpenedRepository> {
  const { DirBackend, Repository, resolvePassword } = await import('@dockside/repository');
  const password = resolvePassword({ ...(access.passwordFile ? { file: access.passwordFile } : {}), env });
  const repo = await Repository.open(new DirBackend(path), password);
  return { repo, password, file: { path: REPO_PASSWORD_FILE, content: `${password}\n`, mode: 0o400 } };
}
