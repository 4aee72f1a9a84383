/**
 * The repository's typed errors. Each is a UserError (one line, a hint, a fixed exit code) because
 * each is something the operator can act on: a wrong password, a path that is no repository, a
 * lock held by someone else, data that does not check out.
 */
import { EXIT, UserError } from '@dockside/common';

/** No key in the repository opens with this password. */
export class WrongPasswordError extends UserError {
  override readonly name: string = 'WrongPasswordError';
  constructor(where: string) {
    super(`wrong password for the repository at ${where}: no key opens with it`, {
      exitCode: EXIT.usage,
      code: 'EPASSWORD',
      hint: 'check --password-file (or RESTIC_PASSWORD_FILE); `dockside repo key list` shows the keys',
    });
  }
}

/** The location holds no restic repository (no `config`), or one we cannot read. */
export class NotARepositoryError extends UserError {
  override readonly name: string = 'NotARepositoryError';
  constructor(message: string, hint = 'create one with `dockside repo init`') {
    super(message, { exitCode: EXIT.usage, code: 'ENOREPO', hint });
  }
}

/** Stored data failed a check: a MAC, a hash, a length, a missing blob, pack or index. */
export class CorruptRepositoryError extends UserError {
  override readonly name: string = 'CorruptRepositoryError';
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, {
      exitCode: EXIT.failure,
      code: 'ECORRUPT',
      hint: opts.hint ?? 'run `restic check --read-data` on the repository to see what is damaged',
      ...(opts.cause === undefined ? {} : { cause: opts.cause }),
    });
  }
}

/** Another process holds a lock that conflicts with ours. */
export class RepositoryLockedError extends UserError {
  override readonly name: string = 'RepositoryLockedError';
  constructor(message: string) {
    super(message, {
      exitCode: EXIT.busy,
      code: 'ELOCKED',
      hint: 'wait for it to finish; a lock not refreshed for 30 minutes is stale and ignored',
    });
  }
}

/** A plain user error about the repository (bad id, refused operation): exit 2. */
export class RepositoryUsageError extends UserError {
  override readonly name: string = 'RepositoryUsageError';
  constructor(message: string, hint?: string) {
    super(message, { exitCode: EXIT.usage, code: 'EREPOUSAGE', ...(hint ? { hint } : {}) });
  }
}
