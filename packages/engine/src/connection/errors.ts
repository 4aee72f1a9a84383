/**
 * Engine failures mapped to dockside's typed errors where they happen, so that callers and the CLI
 * never see raw socket errors or HTTP status codes.
 */
import { BugError, EngineUnreachableError, ImageMissingError, NotFoundError, UserError } from '@dockside/common';
import type { EngineEndpoint } from './endpoint.js';

interface RawEngineError {
  code?: string;
  statusCode?: number;
  reason?: string;
  json?: { message?: string } | null;
  message?: string;
}

/** The engine's own words for an HTTP error, without dockerode's "(HTTP code 404) no such container -" prefix. */
export function engineMessage(err: unknown): string {
  const e = (err ?? {}) as RawEngineError;
  const fromJson = e.json && typeof e.json === 'object' ? e.json.message : undefined;
  if (fromJson) return fromJson.trim();
  const msg = e.message ?? String(err);
  return msg.replace(/^\(HTTP code \d+\)\s*[^-]*-\s*/, '').trim();
}

/**
 * The engine answered, but not in a form dockside can use (not JSON, over the bound, an error in a
 * wait's body): an engine failure, reported as the user error it is (as a 5xx is), never as a bug.
 */
export class EngineAnswerError extends UserError {
  override readonly name = 'EngineAnswerError';
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, { code: 'EENGINEANSWER', ...opts });
  }
}

export function statusOf(err: unknown): number | undefined {
  const s = (err as RawEngineError | undefined)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** Socket-level failures: the engine is not there, or we may not talk to it. */
export function connectionError(err: unknown, endpoint: EngineEndpoint): UserError | undefined {
  const code = (err as RawEngineError | undefined)?.code;
  const where = endpoint.display;
  switch (code) {
    case 'ENOENT':
      return new EngineUnreachableError(`cannot reach the Docker engine at ${where}: no such socket`, {
        hint: 'start the engine (e.g. `dockerd &` or `systemctl start docker`), or point DOCKER_HOST at a running one',
        cause: err,
      });
    case 'ECONNREFUSED':
      return new EngineUnreachableError(`cannot reach the Docker engine at ${where}: connection refused`, {
        hint: 'is dockerd running there? check DOCKER_HOST',
        cause: err,
      });
    case 'EACCES':
    case 'EPERM':
      return new EngineUnreachableError(`permission denied on the Docker engine at ${where}`, {
        hint: 'run as root, or add your user to the "docker" group and log in again',
        cause: err,
      });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
    case 'ECONNRESET':
      return new EngineUnreachableError(`cannot reach the Docker engine at ${where}: ${code}`, {
        hint: 'check DOCKER_HOST and the network path to the engine',
        cause: err,
      });
    default:
      return undefined;
  }
}

export interface MapContext {
  endpoint: EngineEndpoint;
  /** What we were doing, e.g. `starting the backup sidecar`. */
  doing: string;
  /** For 404s: what was looked up, e.g. `image "dockside/backup:0.1.0"`. */
  subject?: string;
  /** For 404s on images: the image is one of ours, so tell the user to build it. */
  image?: string;
}

/** Map any failure from dockerode to a typed dockside error. Already-typed errors pass through. */
export function mapEngineError(err: unknown, ctx: MapContext): Error {
  if (err instanceof UserError) return err;
  const conn = connectionError(err, ctx.endpoint);
  if (conn) return conn;
  const status = statusOf(err);
  const msg = engineMessage(err);
  if (status === 404) {
    if (ctx.image && /image|No such image|not found/i.test(msg)) {
      return new ImageMissingError(`image ${ctx.image} is not on this engine`, { cause: err });
    }
    return new NotFoundError(ctx.subject ? `no such ${ctx.subject}` : `${ctx.doing}: ${msg}`, { cause: err });
  }
  if (status === 409) return new UserError(`${ctx.doing}: conflict: ${msg}`, { cause: err, code: 'ECONFLICT' });
  if (status === 400) return new UserError(`${ctx.doing}: the engine rejected the request: ${msg}`, { cause: err, code: 'EBADREQ' });
  if (status === 401 || status === 403) return new UserError(`${ctx.doing}: the engine refused: ${msg}`, { cause: err, code: 'EFORBIDDEN' });
  if (status !== undefined && status >= 500) return new UserError(`${ctx.doing}: engine error: ${msg}`, { cause: err, code: 'EENGINE500' });
  return err instanceof Error ? err : new BugError(String(err), { cause: err });
}
