/**
 * The api-proxy: a filtering Docker API proxy that a long-running sidecar reaches the engine
 * through, so it can make the calls it needs (list, inspect, logs, events) and nothing more.
 *
 * It listens on a unix socket in a volume shared with its service only, parses every request with
 * node's HTTP parser (so each request on a keep-alive connection is checked, and a smuggled second
 * request is a parse error, not a pass-through), checks method and path against the rules
 * (`matchRule`, after normalisation; API versions before 1.24 refused), and forwards allowed
 * requests to the real socket. GET/HEAD/DELETE/PUT bodies stream both ways without buffering (a
 * followed log or the event stream flows as it comes). Every POST body is buffered (bounded), read
 * the way the engine reads JSON (Go's rules: @dockside/common go-json.ts) and checked for what its
 * rule allows (`api-proxy/checks.ts`): a container create against the create policy, an exec
 * create against the rule's exec users and commands, an exec start for Detach/Tty, and no body at
 * all on any other POST. What is forwarded is the canonical re-serialisation of what was checked,
 * never the client's bytes. A create the engine answers 201 is then inspected and checked again
 * as the engine will run it (created-policy.ts); on any violation it is force-removed and the
 * client gets 403 instead of the 201. A start re-resolves the container's binds in the allowed
 * directories (a symlink planted since the create is refused).
 * Connection upgrades are refused, except on a rule with `upgrade: true` for exec start or attach
 * (`isHijackPath`, api-proxy/hijack.ts).
 * Anything refused gets 403 with a JSON message the docker CLI and dockerode show as is; each
 * distinct refusal is logged once.
 */
import { chmod, chown, unlink } from 'node:fs/promises';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { isHijackPath, matchRule, normaliseApiPath, type ApiRule, type CreatePolicy } from '@dockside/common';
import { bodyFor, checkStart, engineFacts, maxBodyFor, verifyCreated } from './api-proxy/checks.js';
import { engineCall } from './api-proxy/engine-client.js';
import { HOP, hijack } from './api-proxy/hijack.js';

export interface ApiProxyOptions {
  /** Unix socket the service connects to. */
  listen: string;
  /** The engine's socket (mounted read-only into the proxy container only). */
  upstream: string;
  rules: ApiRule[];
  /** What a create on a `body: 'container-create'` rule may ask for; none: every create is refused. */
  createPolicy?: CreatePolicy;
  /** Who the proxy serves, for messages (`metrics`, `logship`...). */
  role: string;
  /** Group that may connect (socket mode 0660, owner unchanged); none: owner only (0600). */
  socketGid?: number;
  /** Header bytes per request (default 16 KiB). */
  maxHeaderSize?: number;
  log: (msg: string) => void;
}

export interface ApiProxy {
  server: Server;
  /** Requests forwarded / refused so far. */
  counts(): { forwarded: number; refused: number; upstreamErrors: number };
  close(): Promise<void>;
}

const MAX_LOGGED = 1000;

/** The oldest API version served: before 1.24 the engine applies a HostConfig sent with a start. */
const MIN_API = [1, 24] as const;
function tooOld(rawPath: string): boolean {
  const m = /^\/v([0-9]{1,2})\.([0-9]{1,3})\//.exec(rawPath);
  if (!m) return false;
  const [maj, min] = [Number(m[1]), Number(m[2])];
  return maj < MIN_API[0] || (maj === MIN_API[0] && min < MIN_API[1]);
}

export function refusalMessage(method: string, path: string, role: string, why = ''): string {
  return `dockside api-proxy: ${method} ${path} is not allowed for ${role}${why ? `: ${why}` : ''}`;
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > max) {
        over = true;
        chunks.length = 0;
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The path as shown in messages: query dropped, bounded, control bytes escaped. */
function shown(rawPath: string): string {
  const p = rawPath.split('?')[0] ?? '';
  const cut = p.length > 200 ? `${p.slice(0, 200)}...` : p;
  return cut.replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export async function startApiProxy(opts: ApiProxyOptions): Promise<ApiProxy> {
  let forwarded = 0;
  let refused = 0;
  let upstreamErrors = 0;
  const logged = new Set<string>();
  /** Hijacked connections (client and engine side): the server no longer tracks them. */
  const hijacked = new Set<Socket>();
  const track = (sock: Socket) => {
    hijacked.add(sock);
    sock.once('close', () => hijacked.delete(sock));
  };

  const refuse = (method: string, rawPath: string, why = '', detail = '') => {
    refused++;
    const msg = refusalMessage(method, shown(rawPath), opts.role, detail);
    if (!logged.has(msg) && logged.size < MAX_LOGGED) {
      logged.add(msg);
      opts.log(`refused ${method} ${shown(rawPath)}${why}${detail ? `: ${detail}` : ''}`);
    }
    return msg;
  };

  const answer403 = (req: IncomingMessage, res: ServerResponse, message: string) => {
    const body = `${JSON.stringify({ message })}\n`;
    // Close after answering: an unread request body must not be parsed as the next request.
    res.writeHead(403, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' });
    res.end(body);
    req.resume();
  };

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? '';
    const url = req.url ?? '';
    if (tooOld(url)) return answer403(req, res, refuse(method, url, '', 'API versions before 1.24 are not served'));
    const rule = req.headers.upgrade ? undefined : matchRule(opts.rules, method, url);
    if (!rule) return answer403(req, res, refuse(method, url, req.headers.upgrade ? ' (connection upgrade)' : ''));
    if (method !== 'POST') return forward(req, res);
    // Every POST body is read as the engine reads it and only its canonical form goes on.
    const ce = req.headers['content-encoding'];
    if (ce && ce !== 'identity') return answer403(req, res, refuse(method, url, '', `a ${ce} encoded body is not checked`));
    const max = maxBodyFor(rule);
    void readBody(req, max).then(
      (raw) => {
        if (raw === null) return answer403(req, res, refuse(method, url, '', `the body is over ${max} bytes`));
        const decided = bodyFor(rule, raw, opts.createPolicy);
        if ('refused' in decided) return answer403(req, res, refuse(method, url, '', decided.refused));
        const path = normaliseApiPath(url) ?? '';
        if (rule.body === 'container-create' && opts.createPolicy) return create(req, res, decided.forward, opts.createPolicy);
        const start = /^\/containers\/([^/]+)\/start$/.exec(path);
        if (start && opts.createPolicy) {
          const policy = opts.createPolicy;
          return void checkStart(opts.upstream, start[1] ?? '', policy).then(
            (why) => (why ? answer403(req, res, refuse(method, url, '', why)) : forward(req, res, decided.forward)),
            (err: Error) => answer403(req, res, refuse(method, url, '', `the start could not be checked (${err.message})`)),
          );
        }
        forward(req, res, decided.forward);
      },
      () => res.destroy(),
    );
  };

  /**
   * A create: the canonical body goes on; a 201 is held back until the container the engine made
   * has been inspected and checked; a violation removes it (forced, with its anonymous volumes)
   * and answers 403.
   */
  const create = (req: IncomingMessage, res: ServerResponse, body: Buffer, policy: CreatePolicy) => {
    const method = req.method ?? '';
    const url = req.url ?? '';
    forwarded++;
    const relay = (a: { status: number; headers: Record<string, string | string[]>; body: Buffer }) => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(a.headers)) if (!HOP.has(k) && k !== 'transfer-encoding' && k !== 'content-length') out[k] = v;
      out['content-length'] = String(a.body.length);
      res.writeHead(a.status, out).end(a.body);
    };
    void (async () => {
      let a;
      try {
        a = await engineCall(opts.upstream, 'POST', url, { body, headers: pickHeaders(req), max: 64 * 1024 });
      } catch (err) {
        return upstreamFailed(res, err as Error, method, url);
      }
      if (a.status !== 201) return relay(a);
      let id = '';
      try {
        id = String((JSON.parse(a.body.toString('utf8')) as { Id?: unknown }).Id ?? '');
      } catch {
        /* checked below: no id */
      }
      let why: string | null;
      try {
        why = await verifyCreated(opts.upstream, id, policy, facts);
      } catch (err) {
        why = `the created container could not be checked (${(err as Error).message})`;
      }
      if (!why) return relay(a);
      if (id) {
        const gone = await engineCall(opts.upstream, 'DELETE', `/containers/${encodeURIComponent(id)}?force=1&v=1`).catch((err: Error) => ({ status: 0, err }));
        if (gone.status !== 204 && gone.status !== 404) opts.log(`could not remove refused container ${id.slice(0, 12)} (${gone.status})`);
      }
      answer403(req, res, refuse(method, url, '', `${why} (the engine created it; it was removed)`));
    })();
  };

  const facts = engineFacts(opts.upstream);

  const pickHeaders = (req: IncomingMessage) => {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (v !== undefined && !HOP.has(k) && k !== 'content-length' && k !== 'transfer-encoding' && k !== 'content-type') headers[k] = v;
    return headers;
  };

  const upstreamFailed = (res: ServerResponse, err: Error, method: string, url: string) => {
    upstreamErrors++;
    opts.log(`engine socket ${opts.upstream}: ${(err as NodeJS.ErrnoException).code ?? err.message} (${method} ${shown(url)})`);
    if (!res.headersSent) {
      const body = `${JSON.stringify({ message: `dockside api-proxy: the engine is not reachable (${(err as NodeJS.ErrnoException).code ?? err.message})` })}\n`;
      res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    } else res.destroy();
  };

  const forward = (req: IncomingMessage, res: ServerResponse, body?: Buffer) => {
    const method = req.method ?? '';
    const url = req.url ?? '';
    forwarded++;
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP.has(k)) headers[k] = v;
    if (body) {
      delete headers['transfer-encoding'];
      headers['content-length'] = String(body.length);
      if (body.length) headers['content-type'] = 'application/json';
      else delete headers['content-type'];
    }
    const up = request({ socketPath: opts.upstream, method, path: url, headers, agent: false }, (upRes) => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(upRes.headers)) if (v !== undefined && !HOP.has(k)) out[k] = v;
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, out);
      // Flush headers at once: a followed log or /events may send its first byte much later.
      res.flushHeaders();
      upRes.pipe(res);
      upRes.on('error', () => res.destroy());
    });
    up.on('error', (err) => upstreamFailed(res, err, method, url));
    // The client went away (a follow stopped): stop the engine side too.
    res.on('close', () => up.destroy());
    if (body) up.end(body);
    else req.pipe(up);
  };

  const hijackContext = {
    upstream: opts.upstream,
    ...(opts.createPolicy ? { createPolicy: opts.createPolicy } : {}),
    track,
    refuse,
    forwarded: () => void forwarded++,
    upstreamError: (err: Error) => {
      upstreamErrors++;
      opts.log(`engine socket ${opts.upstream}: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
    },
  };

  // A client's headers come at once (every Docker client writes them in one go): ones still
  // trickling in after 10 s are cut off (slowloris), checked every second rather than Node's 30 s.
  const server = createServer({ maxHeaderSize: opts.maxHeaderSize ?? 16 * 1024, headersTimeout: 10_000, connectionsCheckingInterval: 1_000 }, handler);
  // An Upgrade with a listener present lands here, never in the handler: refuse it on the raw
  // socket unless an upgrade rule allows it on a hijack endpoint.
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const method = req.method ?? '';
    const url = req.url ?? '';
    const rule = tooOld(url) ? undefined : matchRule(opts.rules, method, url);
    if (String(req.headers.upgrade).toLowerCase() === 'tcp' && isHijackPath(method, url) && rule?.upgrade === true) {
      hijack(hijackContext, rule, req, socket, head);
      return;
    }
    const body = `${JSON.stringify({ message: refuse(req.method ?? '', req.url ?? '', ' (connection upgrade)') })}\n`;
    socket.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) return socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });

  await unlink(opts.listen).catch(() => undefined); // a socket left by an earlier run (restart)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.listen, () => {
      server.off('error', reject);
      resolve();
    });
  });
  if (opts.socketGid !== undefined) {
    // Changing a file's group to one of our own groups needs no capability (the proxy has none).
    await chown(opts.listen, process.getuid?.() ?? 0, opts.socketGid);
    await chmod(opts.listen, 0o660);
  } else await chmod(opts.listen, 0o600);
  return {
    server,
    counts: () => ({ forwarded, refused, upstreamErrors }),
    async close() {
      server.closeAllConnections();
      for (const sock of hijacked) sock.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await unlink(opts.listen).catch(() => undefined);
    },
  };
}
