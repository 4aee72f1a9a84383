/**
 * The api-proxy: a filtering Docker API proxy that a long-running sidecar reaches the engine
 * through, so it can make the calls it needs (list, inspect, logs, events) and nothing more.
 *
 * It listens on a unix socket in a volume shared with its service only, parses every request with
 * node's HTTP parser (so each request on a keep-alive connection is checked, and a smuggled second
 * request is a parse error, not a pass-through), checks method and path against the rules
 * (`isAllowed`, after normalisation), and forwards allowed requests to the real socket. Bodies
 * stream both ways without buffering (a followed log or the event stream flows as it comes).
 * Connection upgrades (attach, exec hijacks, websockets) are refused whatever the rules say.
 * Anything refused gets 403 with a JSON message the docker CLI and dockerode show as is; each
 * distinct refusal is logged once.
 */
import { chmod, chown, unlink } from 'node:fs/promises';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { isAllowed, type ApiRule } from '@dockside/common';

export interface ApiProxyOptions {
  /** Unix socket the service connects to. */
  listen: string;
  /** The engine's socket (mounted read-only into the proxy container only). */
  upstream: string;
  rules: ApiRule[];
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

export function refusalMessage(method: string, path: string, role: string): string {
  return `dockside api-proxy: ${method} ${path} is not allowed for ${role}`;
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

  const refuse = (method: string, rawPath: string, why = '') => {
    refused++;
    const msg = refusalMessage(method, shown(rawPath), opts.role);
    if (!logged.has(msg) && logged.size < MAX_LOGGED) {
      logged.add(msg);
      opts.log(`refused ${method} ${shown(rawPath)}${why}`);
    }
    return msg;
  };

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? '';
    const url = req.url ?? '';
    if (req.headers.upgrade || !isAllowed(opts.rules, method, url)) {
      const body = `${JSON.stringify({ message: refuse(method, url, req.headers.upgrade ? ' (connection upgrade)' : '') })}\n`;
      // Close after answering: an unread request body must not be parsed as the next request.
      res.writeHead(403, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' });
      res.end(body);
      req.resume();
      return;
    }
    forwarded++;
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP.has(k)) headers[k] = v;
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
      opts.log(`engine socket ${opts.upstream}: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
      if (!res.headersSent) {
        const body = `${JSON.stringify({ message: `dockside api-proxy: the engine is not reachable (${(err as NodeJS.ErrnoException).code ?? err.message})` })}\n`;
        res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
      } else res.destroy();
    });
    // The client went away (a follow stopped): stop the engine side too.
    res.on('close', () => up.destroy());
    req.pipe(up);
  };

  const server = createServer({ maxHeaderSize: opts.maxHeaderSize ?? 16 * 1024, headersTimeout: 30_000 }, handler);
  // An Upgrade with a listener present lands here, never in the handler: refuse it on the raw socket.
  server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
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
      await new Promise<void>((r) => server.close(() => r()));
      await unlink(opts.listen).catch(() => undefined);
    },
  };
}
