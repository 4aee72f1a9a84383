/**
 * What a failed write means, in one set of words for every writer (the sidecars' files and
 * streams through sidecar-kit's output helper, and the CLI's own output): a full disk or quota is
 * the user's to fix (exit 1, "no space left on device"), a reader that went away (EPIPE) is an
 * ordinary end of output, anything else is a failed write named by its errno. Pure.
 */
export type WriteFailureKind = 'full' | 'closed' | 'failed';

export interface WriteFailure {
  kind: WriteFailureKind;
  /** The errno code (ENOSPC, EPIPE, ...), or EWRITE when the error carried none. */
  code: string;
  /** The reason as a person reads it ("no space left on device"). */
  reason: string;
}

const REASONS: Record<string, [WriteFailureKind, string]> = {
  ENOSPC: ['full', 'no space left on device'],
  EDQUOT: ['full', 'disk quota exceeded'],
  EFBIG: ['full', 'file too large'],
  EPIPE: ['closed', 'the reader went away (broken pipe)'],
  ECONNRESET: ['closed', 'the reader went away (connection reset)'],
  ERR_STREAM_DESTROYED: ['closed', 'the output was closed'],
  ERR_STREAM_WRITE_AFTER_END: ['closed', 'the output was closed'],
  EROFS: ['failed', 'read-only file system'],
  EACCES: ['failed', 'permission denied'],
  EPERM: ['failed', 'permission denied'],
  EIO: ['failed', 'input/output error'],
  EBADF: ['failed', 'the file was closed'],
};

export function writeFailure(err: unknown): WriteFailure {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? 'EWRITE';
  const known = REASONS[code];
  if (known) return { kind: known[0], code, reason: known[1] };
  return { kind: 'failed', code, reason: (err as Error | undefined)?.message ?? String(err) };
}

/** "cannot write x.pcap: no space left on device" */
export function writeFailureMessage(what: string, f: Pick<WriteFailure, 'reason'>): string {
  return `cannot write ${what}: ${f.reason}`;
}

export function writeFailureHint(f: Pick<WriteFailure, 'kind'>): string | undefined {
  if (f.kind === 'full') return 'free some space on that file system (or write somewhere else), then run it again';
  return undefined;
}
