/** Backup-specific user errors (see @dockside/common errors.ts). */
import { UserError } from '@dockside/common';

/**
 * A backup's archive or manifest is damaged, truncated, altered or unsafe (an entry that escapes
 * the volume): nothing is restored from it. A user error: the backup is bad, not dockside.
 */
export class CorruptArchiveError extends UserError {
  override readonly name = 'CorruptArchiveError';
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, {
      code: 'ECORRUPT',
      hint: 'this backup cannot be used: `dockside backup verify` checks the others, `dockside backup ls` lists them',
      ...opts,
    });
  }
}
