/**
 * An allowed hijack (exec start, attach): the request and its small JSON body (by
 * content-length, checked and re-serialised like every other body) are sent on; a 101 pipes the
 * two sockets both ways, anything else is answered and the connection closed, so no further
 * request can ride an unchecked connection.
 */
import { STATUS_CODES, request, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { ApiRule, CreatePolicy } from '@dockside/common';
import { bodyFor, maxBodyFor } from './checks.js';

/** Headers that describe one hop, not the message: never forwarded. */
export const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'upgrade', 'te', 'trailer', 'proxy-authorization']);

export interface HijackContext {
  upstream: string;
  createPolicy?: CreatePolicy;
  /** Track a socket the HTTP server no longer owns (closed with the proxy). */
  track(sock: Socket): void;
  /** A refusal: counted, logged once; returns the client's message. */
  refuse(method: string, url: string, why: string, detail: string): string;
  forwarded(): void;
  upstreamError(err: Error): void;
}

const reply = (client: Socket, status: string, message?: string) => {
  const b = message === undefined ? '' : `${JSON.stringify({ message })}\n`;
  client.end(`HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(b)}\r\nconnection: close\r\n\r\n${b}`);
};

export function hijack(ctx: HijackContext, rule: ApiRule, req: IncomingMessage, client: Socket, head: Buffer): void {
  const method = req.method ?? '';
  const url = req.url ?? '';
  const lenRaw = req.headers['content-length'];
  if (req.headers['transfer-encoding'] || (lenRaw !== undefined && !/^[0-9]{1,6}$/.test(lenRaw))) return reply(client, '400 Bad Request');
  const len = lenRaw === undefined ? 0 : Number(lenRaw);
  if (len > maxBodyFor(rule)) return reply(client, '403 Forbidden', ctx.refuse(method, url, '', 'the body is too large'));
  let pending = head;
  ctx.track(client);
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
  takeBody((raw) => {
    const rest = pending.subarray(len);
    const decided = bodyFor(rule, raw, ctx.createPolicy);
    if ('refused' in decided) return reply(client, '403 Forbidden', ctx.refuse(method, url, '', decided.refused));
    const body = decided.forward;
    ctx.forwarded();
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP.has(k)) headers[k] = v;
    headers['connection'] = 'Upgrade';
    headers['upgrade'] = String(req.headers.upgrade);
    headers['content-length'] = String(body.length);
    if (body.length) headers['content-type'] = 'application/json';
    const up = request({ socketPath: ctx.upstream, method, path: url, headers, agent: false });
    up.on('upgrade', (upRes: IncomingMessage, upSocket: Socket, upHead: Buffer) => {
      ctx.track(upSocket);
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
      ctx.upstreamError(err);
      reply(client, '502 Bad Gateway', `dockside api-proxy: the engine is not reachable (${(err as NodeJS.ErrnoException).code ?? err.message})`);
    });
    client.on('error', () => up.destroy());
    up.end(body);
  });
}
