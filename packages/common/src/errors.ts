/**
 * The two kinds of error dockside knows (see shared/STYLE.md, "Two kinds of error").
 *
 * - `UserError`: something the user can act on. Printed as one line (`dockside: <message>`), plus an
 *   optional hint line, and the process exits with `exitCode`. No stack trace.
 * - Anything else is a bug: printed as such, with the stack when `DEBUG=dockside*`.
 */
export type ExitCode = number;

/** Exit codes that scripts can rely on. */
export const EXIT = {
  ok: 0,
  failure: 1,
  /** The user named something that does not exist, or gave bad input. */
  usage: 2,
  /** The Docker engine could not be reached or refused us. */
  engine: 3,
  /** A dockside image is missing or stale. */
  image: 4,
  /** A destination is in use by another backup (its lease is live). */
  busy: 5,
  /** Interrupted by SIGINT. */
  sigint: 130,
  /** Interrupted by SIGTERM. */
  sigterm: 143,
} as const;

export class UserError extends Error {
  override readonly name: string = 'UserError';
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  readonly code: string;

  constructor(message: string, opts: { exitCode?: ExitCode; hint?: string; code?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.exitCode = opts.exitCode ?? EXIT.failure;
    this.hint = opts.hint;
    this.code = opts.code ?? 'EUSER';
  }
}

/** The user referred to a thing (container, image, backup) that does not exist. */
export class NotFoundError extends UserError {
  override readonly name = 'NotFoundError';
  constructor(message: string, opts: { hint?: string; code?: string; cause?: unknown } = {}) {
    super(message, { exitCode: EXIT.usage, code: 'ENOTFOUND', ...opts });
  }
}

/** Bad flags or arguments. */
export class UsageError extends UserError {
  override readonly name = 'UsageError';
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, { exitCode: EXIT.usage, code: 'EUSAGE', ...opts });
  }
}

/** The Docker engine is not reachable, or refused the connection. */
export class EngineUnreachableError extends UserError {
  override readonly name = 'EngineUnreachableError';
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, { exitCode: EXIT.engine, code: 'EENGINE', ...opts });
  }
}

/** A dockside image is missing or was built for another version. */
export class ImageMissingError extends UserError {
  override readonly name = 'ImageMissingError';
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, {
      exitCode: EXIT.image,
      code: 'EIMAGE',
      hint: 'run `dockside images build` (add --offline on hosts without a registry)',
      ...opts,
    });
  }
}

/** The operation was interrupted by a signal; cleanup has already happened. */
export class InterruptedError extends UserError {
  override readonly name = 'InterruptedError';
  readonly signal: NodeJS.Signals;
  constructor(signal: NodeJS.Signals) {
    super(`interrupted by ${signal}; everything dockside started was removed`, {
      exitCode: signal === 'SIGINT' ? EXIT.sigint : EXIT.sigterm,
      code: 'EINTR',
    });
    this.signal = signal;
  }
}

export function isUserError(err: unknown): err is UserError {
  return err instanceof UserError;
}

/** Render an error the way the CLI prints it: one line (plus an optional hint line). */
export function formatError(err: unknown, prog = 'dockside'): string {
  if (isUserError(err)) {
    return err.hint ? `${prog}: ${err.message}\n  hint: ${err.hint}` : `${prog}: ${err.message}`;
  }
  const msg = err instanceof Error ? err.message : String(err);
  return `${prog}: internal error (this is a bug in dockside, please report it): ${msg}`;
}
