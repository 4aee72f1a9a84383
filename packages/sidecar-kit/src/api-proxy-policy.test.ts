/**
 * The api-proxy's create policy and allowed hijacks, against a stand-in engine on a unix socket:
 * a create body the policy refuses never reaches the engine; exec start / attach on an upgrade rule
 * are piped both ways after the engine's 101; other upgrades, and a non-101 answer's connection,
 * go no further.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CONTAINER_REF, type ApiRule } from '@dockside/common';
import { startApiProxy, type ApiProxy } from './api-proxy.js';

const RULES: ApiRule[] = [
  { method: 'POST', path: '/containers/create', body: 'container-create' },
  { method: 'POST', path: `/exec/${CONTAINER_REF}/start`, upgrade: true },
  { method: 'POST', path: `/containers/${CONTAINER_REF}/attach`, upgrade: true },
  { method: 'POST', path: `/containers/${CONTAINER_REF}/start` },
  // A rule that asks for upgrades where docker has no hijack: still refused.
  { method: 'POST', path: `/containers/${CONTAINER_REF}/wait`, upgrade: true },
];

let dir = '';
let engine: Server;
let proxy: ApiProxy;
const seen: string[] = [];
const upgraded: Socket[] = [];

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = typeof body === 'string' ? body : JSON.stringify(body);
    const req = request({ socketPath: join(dir, 'proxy.sock'), method: 'POST', path, headers: { 'content-type': 'application/json', ...headers }, agent: false }, (res) => {
      let out = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (out += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: out }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** A hijack as dockerode does it; resolves with the upgraded socket or the plain answer. */
function hijack(path: string, body: string): Promise<{ status: number; socket?: Socket; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({
      socketPath: join(dir, 'proxy.sock'),
      method: 'POST',
      path,
      headers: { Connection: 'Upgrade', Upgrade: 'tcp', 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
      agent: false,
    });
    req.on('upgrade', (res, socket, head) => {
      socket.unshift(head);
      resolve({ status: res.statusCode ?? 0, socket, text: '' });
    });
    req.on('response', (res) => {
      let out = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (out += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: out }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('api-proxy create policy and hijacks', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dockside-api-policy-'));
    engine = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.method === 'GET' && req.url?.endsWith('/json')) {
          // inspect, as the proxy asks about VolumesFrom: 'proxyc' holds the socket.
          if (req.url.includes('/nosuch/')) return void res.writeHead(404).end('{}');
          const mounts = req.url.includes('/proxyc/') ? [{ Type: 'bind', Source: '/var/run/docker.sock', Destination: '/var/run/docker.sock' }] : [{ Type: 'volume', Name: 'data', Source: '/var/lib/docker/volumes/data/_data' }];
          return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ Mounts: mounts }));
        }
        seen.push(`${req.method} ${req.url} ${body}`);
        if (req.url?.includes('/exec/missing/')) {
          res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"no such exec"}');
          return;
        }
        res.writeHead(201, { 'content-type': 'application/json' }).end('{"Id":"abc"}');
      });
    });
    engine.on('upgrade', (req, socket: Socket, head: Buffer) => {
      upgraded.push(socket);
      // The body (exec start's JSON) arrives first; then an echo stream.
      let got = head.toString();
      const len = Number(req.headers['content-length'] ?? 0);
      const go = () => {
        seen.push(`${req.method} ${req.url} ${got.slice(0, len)} upgrade`);
        if (req.url?.includes('/exec/missing/')) {
          // Keep the connection open, as the engine does: the proxy must close it.
          socket.write('HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 26\r\n\r\n{"message":"no such exec"}');
          return;
        }
        socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
        socket.write('hello ');
        socket.on('data', (c: Buffer) => socket.write(c.toString().toUpperCase()));
      };
      if (got.length >= len) go();
      else
        socket.on('data', function first(c: Buffer) {
          got += c.toString();
          if (got.length >= len) {
            socket.off('data', first);
            go();
          }
        });
    });
    await new Promise<void>((r) => engine.listen(join(dir, 'engine.sock'), r));
    proxy = await startApiProxy({
      listen: join(dir, 'proxy.sock'),
      upstream: join(dir, 'engine.sock'),
      rules: RULES,
      createPolicy: { allowedCaps: ['DAC_READ_SEARCH'], bindSources: ['/srv/backups'], allowVolumesFrom: true, allowVolumes: false },
      role: 'cron',
      log: () => undefined,
    });
  });
  after(async () => {
    await proxy.close();
    engine.closeAllConnections();
    for (const sock of upgraded) sock.destroy();
    await new Promise((r) => engine.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('forwards a create the policy allows, with its body intact', async () => {
    const body = { Image: 'alpine', HostConfig: { CapDrop: ['ALL'], CapAdd: ['DAC_READ_SEARCH'], Binds: ['/srv/backups/a:/backup'], VolumesFrom: ['x'] } };
    const r = await post('/v1.41/containers/create?name=job', body);
    assert.equal(r.status, 201, r.body);
    assert.ok(seen.includes(`POST /v1.41/containers/create?name=job ${JSON.stringify(body)}`), seen.join('\n'));
  });

  it('refuses a privileged create, a bind of /, a stray capability, before the engine sees them', async () => {
    const before = seen.length;
    for (const [hc, why] of [
      [{ Privileged: true }, /Privileged containers are not allowed/],
      [{ Binds: ['/:/host'] }, /bind of \/ would expose the Docker socket/],
      [{ Mounts: [{ Type: 'bind', Source: '/srv/backups/../../etc', Target: '/e' }] }, /\/etc is outside/],
      [{ CapAdd: ['SYS_ADMIN'] }, /capability SYS_ADMIN/],
      [{ PidMode: 'host' }, /PidMode host/],
      [{ VolumesFrom: ['proxyc'] }, /VolumesFrom proxyc would expose the Docker socket/],
      [{ VolumesFrom: ['x', 'nosuch:ro'] }, /VolumesFrom nosuch: no such container/],
    ] as const) {
      const r = await post('/containers/create', { Image: 'alpine', HostConfig: hc });
      assert.equal(r.status, 403);
      assert.match(JSON.parse(r.body).message, /^dockside api-proxy: POST \/containers\/create is not allowed for cron: /);
      assert.match(r.body, why);
    }
    assert.equal((await post('/containers/create', '{not json')).status, 403);
    assert.equal((await post('/containers/create', 'x'.repeat(1024 * 1024 + 10))).status, 403);
    assert.equal(seen.length, before, seen.slice(before).join('\n'));
  });

  it('pipes an allowed exec start hijack both ways after the 101', async () => {
    const r = await hijack('/v1.41/exec/abc/start', '{"Detach":false,"Tty":false}');
    assert.equal(r.status, 101);
    const s = r.socket as Socket;
    let got = '';
    s.on('data', (c: Buffer) => (got += c.toString()));
    s.write('ping');
    await new Promise((res) => setTimeout(res, 200));
    assert.equal(got, 'hello PING');
    s.destroy();
    assert.ok(seen.includes('POST /v1.41/exec/abc/start {"Detach":false,"Tty":false} upgrade'), seen.join('\n'));
    const a = await hijack('/containers/abc/attach?stream=1&stdout=1', '');
    assert.equal(a.status, 101);
    a.socket?.destroy();
  });

  it('passes a non-101 answer back and closes, refuses upgrades elsewhere', async () => {
    const r = await hijack('/exec/missing/start', '{}');
    assert.equal(r.status, 404);
    assert.match(r.text, /no such exec/);
    const before = seen.length;
    const s = await hijack('/containers/abc/start', '{}');
    assert.equal(s.status, 403);
    assert.match(s.text, /connection upgrade|not allowed/);
    const w = await hijack('/containers/abc/wait', '');
    assert.equal(w.status, 403);
    assert.equal(seen.length, before);
  });
});
