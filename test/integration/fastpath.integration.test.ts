/**
 * The sidecar start path against a real engine, seen from the socket: `dockside debug` talks to the
 * engine through a recording pass-through (DOCKER_HOST=unix://<proxy>), which shows every request
 * it makes. A sidecar must start with as many requests as `docker run --rm` makes, and be gone when
 * the command returns, with the command's output and exit code relayed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { IMAGE_TAG, cleanupRun, docker, requireEngine, runCli, startFixture } from '../support/engine.js';

const BASE = `dockside/base:${IMAGE_TAG}`;
const ENGINE_SOCKET = (process.env['DOCKER_HOST'] ?? 'unix:///var/run/docker.sock').replace(/^unix:\/\//, '');

/** A unix socket that forwards every byte to the engine and records the request lines sent to it. */
function recordingProxy(path: string): { server: Server; requests: string[] } {
  const requests: string[] = [];
  const server = createServer((client) => {
    const engine = createConnection(ENGINE_SOCKET);
    client.on('data', (c: Buffer) => {
      for (const m of c.toString('latin1').matchAll(/^(GET|HEAD|POST|PUT|DELETE) (\S+) HTTP\/1\.1\r$/gm)) requests.push(`${m[1]} ${m[2]}`);
    });
    client.pipe(engine).pipe(client);
    client.on('error', () => engine.destroy());
    engine.on('error', () => client.destroy());
  });
  server.listen(path);
  return { server, requests };
}

describe("fast path: sidecars start with docker run's round trips", { timeout: 120_000 }, () => {
  let app = '';
  let dir = '';
  let proxy: { server: Server; requests: string[] };
  before(async () => {
    await requireEngine();
    app = startFixture('fast', [BASE, 'sleep', 'infinity']);
    dir = mkdtempSync(join(tmpdir(), 'ds-fastpath-'));
    proxy = recordingProxy(join(dir, 'engine.sock'));
  });
  after(() => {
    proxy?.server.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    cleanupRun();
  });

  it('debug -- <cmd>: inspect, create, attach, wait until removed, start; output and exit code relayed; nothing left', async () => {
    proxy.requests.length = 0;
    const r = await runCli(['debug', app, '--', 'sh', '-c', 'echo out; echo err >&2; exit 3'], { env: { DOCKER_HOST: `unix://${join(dir, 'engine.sock')}` } });
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    const shape = proxy.requests.map((q) => q.replace(/[0-9a-f]{64}/, '<id>').replace(/\?name=[^&]+/, '?name=<name>'));
    // attach and wait go out together (either may be first); start only after both.
    assert.deepEqual(shape.slice(0, 2), [`GET /containers/${app}/json`, 'POST /containers/create?name=<name>']);
    assert.deepEqual(shape.slice(2, 4).sort(), ['POST /containers/<id>/attach?stream=1&stdin=0&stdout=1&stderr=1', 'POST /containers/<id>/wait?condition=removed']);
    assert.deepEqual(shape.slice(4), ['POST /containers/<id>/start'], `requests: ${shape.join(', ')}`);
    assert.deepEqual(docker('ps', '-aq', '--filter', `label=dockside.target.name=${app}`), '', 'the sidecar is gone when debug returns');
  });

  it('ps: one listing request', async () => {
    proxy.requests.length = 0;
    const r = await runCli(['ps', '--json'], { env: { DOCKER_HOST: `unix://${join(dir, 'engine.sock')}` } });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Array.isArray(JSON.parse(r.stdout)));
    assert.equal(proxy.requests.length, 1, `requests: ${proxy.requests.join(', ')}`);
    assert.match(proxy.requests[0] ?? '', /^GET \/containers\/json\?all=true&filters=/);
  });
});
