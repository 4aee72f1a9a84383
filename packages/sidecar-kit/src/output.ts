/**
 * Every in-container writer goes through here, so a full disk (ENOSPC, EDQUOT, EFBIG) and a reader
 * that went away (EPIPE) end a program the same way in every sidecar: a typed OutputError naming
 * what could not be written ("cannot write capture.pcap: no space left on device", exit 1), never
 * an uncaught exception and never a process that keeps running with nowhere to write. The words are
 * common's writeFailure(), shared with the CLI's own output.
 */
import { writeSync } from 'node:fs';
import { UserError, writeFailure, writeFailureHint, writeFailureMessage, type WriteFailure } from '@dockside/common';

export class OutputError extends UserError {
  override readonly name = 'OutputError';
  readonly failure: WriteFailure;
  constructor(
    readonly what: string,
    failure: WriteFailure,
    cause?: unknown,
  ) {
    const hint = writeFailureHint(failure);
    super(writeFailureMessage(what, failure), { exitCode: 1, code: failure.code, ...(hint ? { hint } : {}), cause });
    this.failure = failure;
  }
}

/** Write all of `buf` to `fd` (a short write continues where it stopped); a failure throws OutputError. */
export function writeAllSync(fd: number, buf: Buffer | Uint8Array, what: string): number {
  let off = 0;
  try {
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
  } catch (err) {
    throw new OutputError(what, writeFailure(err), err);
  }
  return off;
}

/**
 * Watch a stream a program writes to (stdout, stderr, a socket): its first write failure is
 * classified and handed to `onFailure` once (later errors are swallowed: nothing more can be
 * written), instead of crashing the program as an unhandled 'error' event.
 */
export function watchOutput(stream: NodeJS.WritableStream, onFailure: (f: WriteFailure, err: unknown) => void): void {
  let seen = false;
  stream.on('error', (err: unknown) => {
    if (seen) return;
    seen = true;
    onFailure(writeFailure(err), err);
  });
}
