/**
 * Raw HTTP/1.1 on the engine's unix socket: the few calls a sidecar's life needs, without
 * dockerode (see client.ts). Failures take dockerode's shape (`statusCode`, `json.message`, socket
 * `code`), so mapEngineError and statusOf treat both clients alike. Paths carry no API version,
 * as dockerode's do: the engine answers with its own.
 */
import { request, type Agent, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { EngineAnswerError } from './errors.js';

export type Query = Record<string, string | number | boolean | undefined>;

/** An engine answer of 400 or more, shaped as dockerode's errors are. */
export class EngineHttpError extends Error {
  readonly json: { message?: string } | null;
  constructor(
    readonly statusCode: number,
    body: string,
    /** The request that failed, when the caller wants it in the message (the sidecars' client). */
    readonly path?: string,
  ) {
    let json: { message?: string } | null = null;
    try {
      json = JSON.parse(body) as { message?: string };
    } catch {
      /* plain text */
    }
    super(`(HTTP code ${statusCode}) unexpected - ${json?.message ?? body.trim().slice(0, 300)}${path ? ` (GET ${path})` : ''}`);
    this.json = json ?? { message: body.trim() };
  }
}

/** Bounds an answer we buffer (listings and inspects are far smaller). */
const MAX_BODY = 64 * 1024 * 1024;

function pathOf(path: string, query?: Query): string {
  if (!query) return path;
  const q = Object.entries(query)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  return q ? `${path}?${q}` : path;
}

/** A whole answer, bounded (also the in-container client's, socket.ts). */
export function readAll(res: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) res.destroy(new EngineAnswerError('engine answer too large'));
      else chunks.push(c);
    });
    res.on('error', reject);
    res.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

/**
 * `servername: ''`: without it Node's agent works out a TLS server name for every request, and its
 * first isIP() check compiles the IPv6 regular expression (about 13 ms of a 150 ms start, measured
 * with --cpu-prof), for a unix socket that has no host name at all.
 */
const NO_SERVERNAME = { servername: '' } as const;

/** Where requests go: the engine's unix socket, or connections an agent makes (ssh: ssh.ts). */
export type EngineDial = { socketPath: string } | { agent: Agent };

export class EngineHttp {
  private readonly dial: { socketPath: string } | { agent: Agent; host: string };
  constructor(dial: string | EngineDial) {
    // With an agent the host only names the engine in the Host header (as docker's own client does).
    this.dial = typeof dial === 'string' ? { socketPath: dial } : 'agent' in dial ? { agent: dial.agent, host: 'docker' } : dial;
  }

  /**
   * Send a request; resolves with the response once its headers arrive. A status >= 400 rejects, with
   * the body read; so does a redirect (the engine redirects a path it had to clean, e.g. one with
   * "//": not the resource asked for), while 304 ("already so") is an answer.
   */
  open(method: string, path: string, opts: { query?: Query; body?: unknown } = {}): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const body = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
      const req = request(
        {
          ...NO_SERVERNAME,
          ...this.dial,
          method,
          path: pathOf(path, opts.query),
          headers: body ? { 'Content-Type': 'application/json', 'Content-Length': body.length } : {},
        },
        (res) => {
          const status = res.statusCode ?? 500;
          if (status < 300 || status === 304) return resolve(res);
          const text = status < 400 ? `redirected to ${String(res.headers.location)}` : undefined;
          readAll(res).then((b) => reject(new EngineHttpError(status, text ?? b.toString('utf8'))), reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** A request whose answer is read whole, as text. */
  async text(method: string, path: string, opts: { query?: Query; body?: unknown } = {}): Promise<string> {
    const res = await this.open(method, path, opts);
    return (await readAll(res)).toString('utf8');
  }

  /** A request whose answer is JSON (or empty: undefined). */
  async json<T>(method: string, path: string, opts: { query?: Query; body?: unknown } = {}): Promise<T> {
    const text = await this.text(method, path, opts);
    return (text.trim() ? JSON.parse(text) : undefined) as T;
  }

  /**
   * An upgraded (hijacked) connection, as `docker run` attaches: POST with `Upgrade: tcp`; the
   * engine answers 101 and the socket then carries the container's stdin one way and its output
   * the other.
   */
  upgrade(path: string, query: Query): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const req = request({
        ...NO_SERVERNAME,
        ...this.dial,
        method: 'POST',
        path: pathOf(path, query),
        headers: { Connection: 'Upgrade', Upgrade: 'tcp' },
      });
      req.on('upgrade', (_res, socket, head) => {
        if (head.length) socket.unshift(head);
        resolve(socket);
      });
      req.on('response', (res) => {
        const status = res.statusCode ?? 500;
        readAll(res).then((b) => reject(new EngineHttpError(status, status < 400 ? `attach was not upgraded (${status})` : b.toString('utf8'))), reject);
      });
      req.on('error', reject);
      req.end();
    });
  }
}
