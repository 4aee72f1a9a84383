/**
 * The exporter against the recorded v2 tree and a stand-in Docker API on a unix socket (list,
 * inspect, events): authentication, routes, health, and containers leaving and coming back
 * through events without stale series.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { liteClient } from '@dockside/engine/lite';
import { UserError } from '@dockside/common';
import { NoCgroupError } from '../collector.js';
import { startExporter, type Exporter } from './exporter.js';

const FIX = join(import.meta.dirname, '..', '..', 'fixtures', 'v2-systemd');
const A = 'a1'.repeat(32);
const B = 'b2'.repeat(32);
const containers = new Map([
  [A, { Id: A, Names: ['/web'], Image: 'nginx:1.27', State: 'running', Labels: { tier: 'front' }, HostConfig: { NetworkMode: 'bridge' }, pid: 4242 }],
  [B, { Id: B, Names: ['/side'], Image: 'busybox', State: 'running', Labels: {}, HostConfig: { NetworkMode: `container:${A}` }, pid: 4300 }],
]);
let events: ServerResponse | undefined;
let dir = '';
let exporter: Exporter;
let port = 0;
const engineApi = createServer((req, res) => {
  const url = req.url ?? '';
  if (url.startsWith('/v1.41/containers/json')) {
    res.end(JSON.stringify([...containers.values()].map(({ pid: _p, ...c }) => c)));
  } else if (url.startsWith('/v1.41/events')) {
    res.writeHead(200, { 'content-type': 'application/json' });
    events = res;
  } else {
    const m = /^\/v1\.41\/containers\/([0-9a-f]+)\/json/.exec(url);
    const c = m ? containers.get(m[1] as string) : undefined;
    if (!c) return void res.writeHead(404).end('{"message":"no such container"}');
    res.end(
      JSON.stringify({
        Id: c.Id,
        Name: c.Names[0],
        Config: { Image: c.Image, Labels: c.Labels },
        State: { Running: true, Pid: c.pid, Status: 'running' },
        HostConfig: c.HostConfig,
      }),
    );
  }
});

function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, method }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
const scrape = () => get('/metrics', { authorization: 'Bearer s3cret' });
const send = (e: object) => events?.write(`${JSON.stringify(e)}\n`);
const tick = () => new Promise((r) => setTimeout(r, 150));

describe('exporter', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ds-exp-'));
    const socket = join(dir, 'docker.sock');
    await new Promise<void>((r) => engineApi.listen(socket, r));
    exporter = await startExporter({
      port: 0,
      host: '127.0.0.1',
      intervalMs: 60_000,
      labelAllowList: ['tier'],
      token: 's3cret',
      paths: { cgroupRoot: join(FIX, 'sys/fs/cgroup'), procRoot: join(FIX, 'proc') },
      client: liteClient(socket),
      log: () => undefined,
    });
    const a = exporter.server.address();
    port = typeof a === 'object' && a ? a.port : 0;
    await tick();
  });
  after(async () => {
    await exporter.close();
    engineApi.closeAllConnections();
    await new Promise((r) => engineApi.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('wants the bearer token on /metrics; /healthz and other routes need none', async () => {
    assert.equal((await get('/metrics')).status, 401);
    assert.equal((await get('/metrics', { authorization: 'Bearer s3cre' })).status, 401);
    // The scheme is case-insensitive; the token is not.
    for (const scheme of ['bearer', 'BEARER', 'bEaReR']) assert.equal((await get('/metrics', { authorization: `${scheme} s3cret` })).status, 200, scheme);
    assert.equal((await get('/metrics', { authorization: 'Bearer S3CRET' })).status, 401);
    assert.equal((await get('/metrics', { authorization: 'Basic s3cret' })).status, 401);
    assert.equal((await get('/healthz')).status, 200);
    assert.equal((await get('/')).status, 404);
    assert.equal((await get('/metrics', { authorization: 'Bearer s3cret' }, 'POST')).status, 405);
  });

  it('serves every container with its allowed labels; the joined one without network series', async () => {
    const { status, body } = await scrape();
    assert.equal(status, 200);
    assert.match(body, new RegExp(`container_cpu_usage_seconds_total\\{id="/docker/${A}",image="nginx:1.27",name="web",container_label_tier="front"\\} 2\\.5`));
    assert.match(body, /container_memory_working_set_bytes\{[^}]*name="side"\} 786432/);
    assert.match(body, /container_network_receive_bytes_total\{[^}]*name="web",[^}]*interface="eth0"\} 10485760/);
    assert.ok(!/container_network_\w+\{[^}]*name="side"/.test(body));
    assert.match(body, /^dockside_metrics_containers 2$/m);
  });

  it('a destroyed container leaves no series after the next collection; it comes back on start', async () => {
    containers.delete(B);
    send({ Type: 'container', Action: 'destroy', Actor: { ID: B } });
    await tick();
    exporter.collectNow();
    const gone = (await scrape()).body;
    assert.ok(!gone.includes('name="side"'), 'no stale series');
    assert.match(gone, /^dockside_metrics_containers 1$/m);
    containers.set(B, { Id: B, Names: ['/side'], Image: 'busybox', State: 'running', Labels: {}, HostConfig: { NetworkMode: `container:${A}` }, pid: 4300 });
    send({ Type: 'container', Action: 'start', Actor: { ID: B } });
    await tick();
    exporter.collectNow();
    assert.ok((await scrape()).body.includes('name="side"'));
  });

  it('a container listed by the engine but without a cgroup here is left out quietly', async () => {
    const X = 'e5'.repeat(32);
    containers.set(X, { Id: X, Names: ['/ghost'], Image: 'x', State: 'running', Labels: {}, HostConfig: { NetworkMode: 'bridge' }, pid: 99999 });
    send({ Type: 'container', Action: 'start', Actor: { ID: X } });
    await tick();
    exporter.collectNow();
    const body = (await scrape()).body;
    assert.ok(!body.includes('name="ghost"'));
    assert.match(body, /^dockside_metrics_collection_errors_total 0$/m);
  });
});

describe('exporter without a cgroup file system', () => {
  it('refuses to start with a typed user error and a hint (not an internal error)', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'ds-nocg-'));
    try {
      await assert.rejects(
        startExporter({
          port: 0,
          host: '127.0.0.1',
          intervalMs: 60_000,
          labelAllowList: [],
          paths: { cgroupRoot: join(empty, 'sys/fs/cgroup'), procRoot: join(empty, 'proc') },
          client: liteClient(join(empty, 'docker.sock')),
          log: () => undefined,
        }),
        (e: unknown) => e instanceof NoCgroupError && e instanceof UserError && e.code === 'ENOCGROUP' && /no cgroup file system at /.test(e.message) && Boolean(e.hint),
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
