/**
 * The api-proxy: a filtering Docker API proxy that a long-running sidecar reaches the engine
 * through, so it can make the calls it needs (list, inspect, logs, events) and nothing more.
 *
 * It listens on a unix socket in a volume shared with its service only, parses every request with
 * node's HTTP parser (so each request on a keep-alive connection is checked, and a smuggled second
 * request is a parse error, not a pass-through), checks method and path against the rules
 * (`matchRule`, after normalisation), and forwards allowed requests to the real socket. Bodies
 * stream both ways without buffering (a followed log or the event stream flows as it comes), except
 * POST /containers/create: it goes through only on a rule with `body: 'container-create'`, its JSON
 * body is buffered (at most 1 MiB) and checked against the create policy (`checkCreate`: no
 * privileged container, no caps outside the list, no host binds outside the allowed directories...).
 * Connection upgrades are refused, except on a rule with `upgrade: true` for exec start or attach
 * (`isHijackPath`): the request is sent on, and only once the engine answers 101 are the two
 * sockets piped both ways (any other answer is passed back and the connection closed, so no further
 * request can ride an unchecked connection).
 * Anything refused gets 403 with a JSON message the docker CLI and dockerode show as is; each
 * distinct refusal is logged once.
 */
import { chmod, chown, unlink } from 'node:fs/promises';
import { STATUS_CODES, createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { MAX_CREATE_BODY, checkCreate, checkVolumesFromMounts, volumesFromRefs, isHijackPath, matchRule, normaliseApiPath, type ApiRule, type CreatePolicy } from '@dockside/common';

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

/** Headers that describe one hop, not the message: never forwarded. */
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'upgrade', 'te', 'trailer', 'proxy-authorization']);
const MAX_LOGGED = 1000;

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
    const rule = req.headers.upgrade ? undefined : matchRule(opts.rules, method, url);
    if (!rule) return answer403(req, res, refuse(method, url, req.headers.upgrade ? ' (connection upgrade)' : ''));
    const isCreate = method === 'POST' && normaliseApiPath(url) === '/containers/create';
    if (!isCreate) {
      // A small body with a length (exec create, start, wait...) goes in one write with its headers:
      // piped, the engine (20.10) sometimes closes before the body arrives (EPIPE).
      const len = Number(req.headers['content-length'] ?? 'x');
      if (method !== 'POST' || !Number.isInteger(len) || len > 64 * 1024 || req.headers['transfer-encoding']) return forward(req, res);
      void readBody(req, 64 * 1024).then(
        (body) => forward(req, res, body ?? Buffer.alloc(0)),
        () => res.destroy(),
      );
      return;
    }
    // A create goes through only after its body is checked: a path rule alone would allow a privileged container.
    const policy = opts.createPolicy;
    if (rule.body !== 'container-create' || !policy) return answer403(req, res, refuse(method, url, '', 'creating containers needs a create policy'));
    const te = req.headers['content-encoding'];
    if (te && te !== 'identity') return answer403(req, res, refuse(method, url, '', `a ${te} encoded create body is not checked`));
    void readBody(req, MAX_CREATE_BODY).then(
      (body) => {
        if (body === null) return answer403(req, res, refuse(method, url, '', `the create body is over ${MAX_CREATE_BODY} bytes`));
        let parsed: unknown;
        try {
          parsed = JSON.parse(body.length ? body.toString('utf8') : '{}');
        } catch {
          return answer403(req, res, refuse(method, url, '', 'the create body is not JSON'));
        }
        const why = checkCreate(parsed, policy);
        if (why) return answer403(req, res, refuse(method, url, '', why));
        // VolumesFrom copies the other container's binds too: look at them before forwarding.
        void Promise.all(volumesFromRefs(parsed).map((ref) => mountsOf(ref).then((m) => (m === undefined ? `VolumesFrom ${ref}: no such container` : checkVolumesFromMounts(ref, m))))).then(
          (reasons) => {
            const bad = reasons.find((r) => r);
            if (bad) return answer403(req, res, refuse(method, url, '', bad));
            forward(req, res, body);
          },
          () => answer403(req, res, refuse(method, url, '', 'VolumesFrom could not be checked')),
        );
      },
      () => res.destroy(),
    );
  };

  /** A container's inspect Mounts, asked of the engine directly (undefined: no such container). */
  const mountsOf = (ref: string): Promise<unknown> =>
    new Promise((resolve, reject) => {
      if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(ref)) return resolve(undefined);
      const r = request({ socketPath: opts.upstream, method: 'GET', path: `/containers/${ref}/json`, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode !== 200) return resolve(undefined);
          try {
            resolve((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Mounts?: unknown }).Mounts ?? []);
          } catch (err) {
            reject(err);
          }
        });
        res.on('error', reject);
      });
      r.on('error', reject);
      r.end();
    });

  const forward = (req: IncomingMessage, res: ServerResponse, body?: Buffer) => {
    const method = req.method ?? '';
    const url = req.url ?? '';
    forwarded++;
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP.has(k)) headers[k] = v;
    if (body) {
      delete headers['transfer-encoding'];
      headers['content-length'] = String(body.length);
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
    up.on('error', (err) => {
      upstreamErrors++;
      opts.log(`engine socket ${opts.upstream}: ${(err as NodeJS.ErrnoException).code ?? err.message} (${method} ${shown(url)})`);
      if (!res.headersSent) {
        const body = `${JSON.stringify({ message: `dockside api-proxy: the engine is not reachable (${(err as NodeJS.ErrnoException).code ?? err.message})` })}\n`;
        res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
      } else res.destroy();
    });
    // The client went away (a follow stopped): stop the engine side too.
    res.on('close', () => up.destroy());
    if (body) up.end(body);
    else req.pipe(up);
  };

  /**
   * An allowed hijack (exec start, attach): the request (and its small JSON body, by
   * content-length) is sent on; a 101 pipes the sockets both ways, anything else is answered and
   * the connection closed.
   */
  const hijack = (req: IncomingMessage, client: Socket, head: Buffer) => {
    const method = req.method ?? '';
    const url = req.url ?? '';
    const lenRaw = req.headers['content-length'];
    if (req.headers['transfer-encoding'] || (lenRaw !== undefined && !/^[0-9]{1,6}$/.test(lenRaw))) {
      client.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    const len = lenRaw === undefined ? 0 : Number(lenRaw);
    let pending = head;
    track(client);
    client.pause();
    const takeBody = (done: (body: Buffer) => void) => {
      if (pending.length >= len) return done(pending.subarray(0, len));
      client.once('data', (c: Buffer) => {
        pending = Buffer.concat([pending, c]);
        client.pause();
        takeBody(done);
      });
      client.resume();
    };
    takeBody((body) => {
      const rest = pending.subarray(len);
      forwarded++;
      const headers: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP.has(k)) headers[k] = v;
      headers['connection'] = 'Upgrade';
      headers['upgrade'] = String(req.headers.upgrade);
      const up = request({ socketPath: opts.upstream, method, path: url, headers, agent: false });
      up.on('upgrade', (upRes: IncomingMessage, upSocket: Socket, upHead: Buffer) => {
        track(upSocket);
        const lines = [`HTTP/1.1 ${upRes.statusCode ?? 101} ${upRes.statusMessage ?? 'Switching Protocols'}`];
        for (let i = 0; i + 1 < upRes.rawHeaders.length; i += 2) lines.push(`${upRes.rawHeaders[i]}: ${upRes.rawHeaders[i + 1]}`);
        client.write(`${lines.join('\r\n')}\r\n\r\n`);
        if (upHead.length) client.write(upHead);
        if (rest.length) upSocket.write(rest);
        upSocket.pipe(client);
        client.pipe(upSocket);
        client.resume();
        const end = () => {
          client.destroy();
          upSocket.destroy();
        };
        upSocket.on('error', end);
        client.on('error', end);
        client.on('close', () => upSocket.destroy());
      });
      up.on('response', (upRes: IncomingMessage) => {
        // Not upgraded (an error, or an engine that does not hijack): pass the answer back, then close.
        const lines = [`HTTP/1.1 ${upRes.statusCode ?? 502} ${upRes.statusMessage ?? STATUS_CODES[upRes.statusCode ?? 502] ?? ''}`];
        for (let i = 0; i + 1 < upRes.rawHeaders.length; i += 2) {
          const k = (upRes.rawHeaders[i] ?? '').toLowerCase();
          if (!HOP.has(k) && k !== 'transfer-encoding' && k !== 'content-length') lines.push(`${upRes.rawHeaders[i]}: ${upRes.rawHeaders[i + 1]}`);
        }
        lines.push('connection: close');
        client.write(`${lines.join('\r\n')}\r\n\r\n`);
        upRes.pipe(client);
        upRes.on('end', () => up.destroy());
        upRes.on('error', () => client.destroy());
      });
      up.on('error', (err) => {
        upstreamErrors++;
        opts.log(`engine socket ${opts.upstream}: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
        const b = `${JSON.stringify({ message: `dockside api-proxy: the engine is not reachable (${(err as NodeJS.ErrnoException).code ?? err.message})` })}\n`;
        client.end(`HTTP/1.1 502 Bad Gateway\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(b)}\r\nconnection: close\r\n\r\n${b}`);
      });
      client.on('error', () => up.destroy());
      up.end(body);
    });
  };

  const server = createServer({ maxHeaderSize: opts.maxHeaderSize ?? 16 * 1024, headersTimeout: 30_000 }, handler);
  // An Upgrade with a listener present lands here, never in the handler: refuse it on the raw
  // socket unless an upgrade rule allows it on a hijack endpoint.
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const method = req.method ?? '';
    const url = req.url ?? '';
    if (String(req.headers.upgrade).toLowerCase() === 'tcp' && isHijackPath(method, url) && matchRule(opts.rules, method, url)?.upgrade === true) {
      hijack(req, socket, head);
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
