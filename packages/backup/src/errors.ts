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

/**
 * The bytes of an archive do not parse (a zstd frame, a sparse map): raised while reading and
 * caught by the restore's or verify's wrap, which reports it as a CorruptArchiveError naming the
 * archive (a UserError here would skip that wrap and lose the archive's name).
 */
export class ArchiveFormatError extends Error {
  override readonly name = 'ArchiveFormatError';
}
