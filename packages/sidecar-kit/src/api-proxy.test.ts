/**
 * The api-proxy against a stand-in engine (a plain HTTP server on a unix socket that records what
 * reaches it): allowed calls stream through unbuffered, everything else is refused before the engine
 * sees it, including a second request pipelined on an allowed connection and upgrades.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CONTAINER_REF, type ApiRule } from '@dockside/common';
import { startApiProxy, type ApiProxy } from './api-proxy.js';

const RULES: ApiRule[] = [
  { method: 'GET', path: '/containers/json' },
  { method: 'GET', path: `/containers/${CONTAINER_REF}/logs` },
];

let dir = '';
let engine: Server;
let proxy: ApiProxy;
const seen: string[] = [];
const logs: string[] = [];
let release: (() => void) | undefined;

function call(method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: join(dir, 'proxy.sock'), method, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function raw(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(join(dir, 'proxy.sock'));
    let out = '';
    s.on('data', (c) => (out += c.toString('latin1')));
    s.on('end', () => resolve(out));
    s.on('close', () => resolve(out));
    s.on('error', reject);
    s.write(text);
  });
}

describe('api-proxy', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dockside-api-proxy-'));
    engine = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      if (req.url?.includes('/logs')) {
        // A followed log: one line now, the rest only when the test says so.
        res.writeHead(200, { 'content-type': 'application/vnd.docker.raw-stream' });
        res.write('first line\n');
        release = () => res.end('last line\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'api-version': '1.41' }).end('[]');
    });
    await new Promise<void>((r) => engine.listen(join(dir, 'engine.sock'), r));
    proxy = await startApiProxy({ listen: join(dir, 'proxy.sock'), upstream: join(dir, 'engine.sock'), rules: RULES, role: 'tester', log: (m) => logs.push(m) });
  });
  after(async () => {
    await proxy.close();
    engine.closeAllConnections();
    await new Promise<void>((r) => engine.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes its socket owner-only without a group', () => {
    assert.equal(statSync(join(dir, 'proxy.sock')).mode & 0o777, 0o600);
  });

  it('forwards an allowed GET with its query and the engine headers', async () => {
    const r = await call('GET', '/v1.41/containers/json?all=1');
    assert.deepEqual(r, { status: 200, body: '[]' });
    assert.equal(seen.at(-1), 'GET /v1.41/containers/json?all=1');
  });

  it('streams a followed response without waiting for its end', async () => {
    const first = await new Promise<string>((resolve, reject) => {
      const req = request({ socketPath: join(dir, 'proxy.sock'), path: '/v1.41/containers/web/logs?follow=1', agent: false }, (res) => {
        res.setEncoding('utf8');
        let all = '';
        res.once('data', (c: string) => {
          resolve(c);
          release?.();
        });
        res.on('data', (c: string) => (all += c));
        res.on('end', () => assert.equal(all, 'first line\nlast line\n'));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(first, 'first line\n');
  });

  it('refuses a create with 403 and a JSON message, and the engine never sees it', async () => {
    const before = seen.length;
    const r = await call('POST', '/v1.41/containers/create', { 'content-type': 'application/json' });
    assert.equal(r.status, 403);
    assert.deepEqual(JSON.parse(r.body), { message: 'dockside api-proxy: POST /v1.41/containers/create is not allowed for tester' });
    assert.equal(seen.length, before);
  });

  it('refuses traversal and encoded variants', async () => {
    const before = seen.length;
    for (const p of ['/containers/json/../create', '/containers/x%2F..%2Fjson', '/v1.41/containers/%2e%2e/json', '/containers//json']) {
      assert.equal((await call('GET', p)).status, 403, p);
    }
    assert.equal(seen.length, before);
  });

  it('checks every request on a keep-alive connection: a pipelined create is refused', async () => {
    const before = seen.length;
    const out = await raw('GET /containers/json HTTP/1.1\r\nhost: docker\r\n\r\n' + 'POST /containers/create HTTP/1.1\r\nhost: docker\r\ncontent-length: 2\r\n\r\n{}');
    assert.match(out, /^HTTP\/1\.1 200 /);
    assert.match(out, /HTTP\/1\.1 403 [\s\S]*POST \/containers\/create is not allowed/);
    assert.deepEqual(seen.slice(before), ['GET /containers/json']);
  });

  it('refuses connection upgrades even on an allowed path', async () => {
    const out = await raw('GET /containers/json HTTP/1.1\r\nhost: docker\r\nconnection: Upgrade\r\nupgrade: tcp\r\n\r\n');
    assert.match(out, /^HTTP\/1\.1 403 /);
    const plain = await call('GET', '/containers/json', { upgrade: 'tcp' });
    assert.equal(plain.status, 403);
  });

  it('drops CONNECT tunnels without reaching the engine', async () => {
    const before = seen.length;
    const out = await raw('CONNECT docker:2375 HTTP/1.1\r\nhost: docker:2375\r\n\r\n');
    assert.doesNotMatch(out, /^HTTP\/1\.1 2/);
    assert.equal(seen.length, before);
  });

  it('bounds header sizes', async () => {
    const out = await raw(`GET /containers/json HTTP/1.1\r\nhost: docker\r\nx-big: ${'a'.repeat(40_000)}\r\n\r\n`);
    assert.match(out, /^HTTP\/1\.1 431 /);
  });

  it('logs each distinct refusal once and counts them all', async () => {
    await call('DELETE', '/containers/abc');
    await call('DELETE', '/containers/abc');
    assert.equal(logs.filter((l) => l === 'refused DELETE /containers/abc').length, 1);
    assert.ok(proxy.counts().refused >= 2);
    assert.ok(proxy.counts().forwarded >= 3);
  });
});
