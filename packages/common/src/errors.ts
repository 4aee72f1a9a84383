/**
 * The two kinds of error dockside knows (see shared/STYLE.md, "Two kinds of error").
 *
 * - `UserError`: something the user can act on. Printed as one line (`dockside: <message>`), plus an
 *   optional hint line, and the process exits with `exitCode`. No stack trace.
 * - `BugError`: what cannot happen unless dockside itself is wrong (an assertion). Printed, like any
 *   other unexpected error, as an internal error with the dockside version and a request to report
 *   it; the stack only when `DEBUG=dockside*`.
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
  /** Nothing ran: a scheduled job was skipped (overlap=forbid found a run going, or its target is not running). */
  skipped: 6,
  /** Interrupted by SIGINT. */
  sigint: 130,
  /** Interrupted by SIGTERM. */
  sigterm: 143,
  /** Interrupted by SIGHUP (128 + 1, as a shell reports it). */
  sighup: 129,
} as const;

export class UserError extends Error {
  override readonly name: string = 'UserError';
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  readonly code: string;

  constructor(message: string, opts: { exitCode?: ExitCode | undefined; hint?: string | undefined; code?: string | undefined; cause?: unknown } = {}) {
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

/**
 * The target exists but is in a state the command cannot work in (stopped, paused): bad input, as
 * an unknown one is (exit 2), with the remedy in the hint.
 */
export class TargetStateError extends UserError {
  override readonly name = 'TargetStateError';
  constructor(message: string, opts: { hint?: string; code?: string; cause?: unknown } = {}) {
    super(message, { exitCode: EXIT.usage, code: 'ETARGETSTATE', ...opts });
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
      exitCode: signal === 'SIGINT' ? EXIT.sigint : signal === 'SIGHUP' ? EXIT.sighup : EXIT.sigterm,
      code: 'EINTR',
    });
    this.signal = signal;
  }
}

/**
 * The impossible happened: a broken invariant in dockside's own code (never bad input or a failing
 * engine: those are user errors). Exits 1, reported as a bug.
 */
export class BugError extends Error {
  override readonly name = 'BugError';
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
  }
}

/**
 * A socket or request got no answer in time. For the callbacks that need an Error (a stream's
 * `destroy`): the handler nearby turns it into a user error or a check's result. `code` is Node's
 * own (`ETIMEDOUT`) where that handler reads codes; without one it reads the message.
 */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
  readonly code: string | undefined;
  constructor(message: string, opts: { code?: string } = {}) {
    super(message);
    this.code = opts.code;
  }
}

export function isUserError(err: unknown): err is UserError {
  return err instanceof UserError;
}

export interface FormatOptions {
  /** What the line starts with (default `dockside`; a sidecar uses `dockside-<role>`). */
  prog?: string;
  /** The dockside version, named in a bug report line. */
  version?: string;
}

/**
 * Render an error the way the CLI prints it: a user error as one line (plus an optional hint line);
 * anything else (a BugError, or an error nobody expected) as an internal error to report.
 */
export function formatError(err: unknown, opts: FormatOptions | string = {}): string {
  const { prog = 'dockside', version } = typeof opts === 'string' ? { prog: opts } : opts;
  if (isUserError(err)) {
    return err.hint ? `${prog}: ${err.message}\n  hint: ${err.hint}` : `${prog}: ${err.message}`;
  }
  return `${prog}: ${bugMessage(err, version)}`;
}

/** What a bug (anything but a user error) is reported as, with the dockside version. */
export function bugMessage(err: unknown, version?: string): string {
  const msg = err instanceof Error ? err.message : String(err);
  return `internal error (this is a bug in dockside${version ? ` ${version}` : ''}, please report it with the command you ran; DEBUG=dockside* shows the stack): ${msg}`;
}
