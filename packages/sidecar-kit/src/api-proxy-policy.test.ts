/**
 * The api-proxy's create policy and allowed hijacks, against a stand-in engine on a unix socket:
 * a create body the policy refuses never reaches the engine; exec start / attach on an upgrade rule
 * are piped both ways after the engine's 101; other upgrades, and a non-101 answer's connection,
 * go no further.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CONTAINER_REF, DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, type ApiRule } from '@dockside/common';
import { startApiProxy, type ApiProxy } from './api-proxy.js';

const RULES: ApiRule[] = [
  { method: 'POST', path: '/containers/create', body: 'container-create' },
  { method: 'POST', path: `/exec/${CONTAINER_REF}/start`, upgrade: true, body: 'exec-start' },
  { method: 'POST', path: `/containers/${CONTAINER_REF}/attach`, upgrade: true },
  { method: 'POST', path: `/containers/${CONTAINER_REF}/start` },
  // A rule that asks for upgrades where docker has no hijack: still refused.
  { method: 'POST', path: `/containers/${CONTAINER_REF}/wait`, upgrade: true },
];

let dir = '';
let backups = '';
let engine: Server;
type CreateBody = { HostConfig?: Record<string, unknown>; Labels?: Record<string, string> };
const created = new Map<string, unknown>();
/**
 * What the stand-in engine reports for a create: the body's HostConfig over the engine's defaults,
 * and Mounts from Binds and Mounts; a body labelled `misread` is taken as privileged (a stand-in
 * for an engine that reads a body differently from the proxy: the post-create check must catch it).
 */
function inspectFor(id: string, b: CreateBody) {
  const hc = b.HostConfig ?? {};
  const binds = ((hc['Binds'] as string[] | undefined) ?? []).map((e) => ({ Type: 'bind', Source: e.split(':')[0], Destination: e.split(':')[1] }));
  const mounts = ((hc['Mounts'] as Array<{ Type: string; Source: string; Target: string }> | undefined) ?? []).map((m) => ({
    Type: m.Type,
    Source: m.Source,
    Destination: m.Target,
  }));
  const vf = ((hc['VolumesFrom'] as string[] | undefined) ?? []).includes('x')
    ? [{ Type: 'volume', Name: 'data', Source: '/var/lib/docker/volumes/data/_data', Destination: '/data' }]
    : [];
  return {
    Id: id,
    HostConfig: {
      NetworkMode: 'default',
      IpcMode: 'private',
      CgroupnsMode: 'host',
      Runtime: 'runc',
      MaskedPaths: DEFAULT_MASKED_PATHS,
      ReadonlyPaths: DEFAULT_READONLY_PATHS,
      ...hc,
      Privileged: b.Labels?.['misread'] === 'yes' || hc['Privileged'] === true,
    },
    Mounts: [...binds, ...mounts, ...vf],
    NetworkSettings: { Networks: { bridge: { NetworkID: 'bridgenet' } } },
  };
}
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
    backups = join(realpathSync(dir), 'backups');
    mkdirSync(join(backups, 'a'), { recursive: true });
    symlinkSync('/etc', join(backups, 'link'));
    engine = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const url = req.url ?? '';
        if (req.method === 'GET' && url === '/info') return void res.writeHead(200).end(JSON.stringify({ CgroupVersion: '1', DefaultRuntime: 'runc', LoggingDriver: 'json-file' }));
        if (req.method === 'GET' && url === '/networks/host') return void res.writeHead(200).end(JSON.stringify({ Id: 'hostnet' }));
        if (req.method === 'GET' && url.endsWith('/json')) {
          // inspect: what the stand-in created, or 'proxyc' (holds the socket), 'x' (a volume), 'nosuch'.
          const id = url.split('/')[2] ?? '';
          if (created.has(id)) return void res.writeHead(200).end(JSON.stringify(created.get(id)));
          if (id === 'nosuch') return void res.writeHead(404).end('{}');
          const mounts =
            id === 'proxyc'
              ? [{ Type: 'bind', Source: '/var/run/docker.sock', Destination: '/var/run/docker.sock' }]
              : [{ Type: 'volume', Name: 'data', Source: '/var/lib/docker/volumes/data/_data', Destination: '/data' }];
          return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ HostConfig: { NetworkMode: 'bridge' }, Mounts: mounts }));
        }
        if (req.method === 'GET' && url.startsWith('/volumes/')) return void res.writeHead(200).end(JSON.stringify({ Driver: 'local', Options: null }));
        seen.push(`${req.method} ${req.url} ${body}`);
        if (req.url?.includes('/exec/missing/')) {
          res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"no such exec"}');
          return;
        }
        if (req.method === 'POST' && url.includes('/containers/create')) {
          const id = `c${created.size}`;
          created.set(id, inspectFor(id, JSON.parse(body) as CreateBody));
          return void res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ Id: id }));
        }
        if (req.method === 'DELETE') {
          created.delete(url.split('/')[2]?.split('?')[0] ?? '');
          return void res.writeHead(204).end();
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
      createPolicy: { allowedCaps: ['DAC_READ_SEARCH'], bindSources: [backups], allowVolumesFrom: true, allowVolumes: false },
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

  it("forwards a create the policy allows, re-serialised with the engine's field names", async () => {
    const body = { Image: 'alpine', HostConfig: { CapDrop: ['ALL'], CapAdd: ['DAC_READ_SEARCH'], Binds: [`${backups}/a:/backup`], VolumesFrom: ['x'] } };
    const r = await post('/v1.41/containers/create?name=job', body);
    assert.equal(r.status, 201, r.body);
    // The engine's field names, in its struct's order.
    const canonical = { Image: 'alpine', HostConfig: { Binds: [`${backups}/a:/backup`], VolumesFrom: ['x'], CapAdd: ['DAC_READ_SEARCH'], CapDrop: ['ALL'] } };
    assert.ok(seen.includes(`POST /v1.41/containers/create?name=job ${JSON.stringify(canonical)}`), seen.join('\n'));
    // Odd spellings reach the engine as the field they mean, once.
    const odd = `{"image":"alpine","HOSTCONFIG":{"capAdd":"DAC_READ_SEARCH","\u0042inds":[${JSON.stringify(`${backups}/a:/b`)}],"Memory":123456789012345678}}`;
    const o = await post('/containers/create', odd);
    assert.equal(o.status, 201, o.body);
    assert.equal(
      seen.at(-1),
      `POST /containers/create {"Image":"alpine","HostConfig":{"Binds":[${JSON.stringify(`${backups}/a:/b`)}],"CapAdd":["DAC_READ_SEARCH"],"Memory":123456789012345678}}`,
    );
  });

  it('removes what the engine created against the policy, and answers 403 instead of the 201', async () => {
    const before = created.size;
    const cases: Array<[object, RegExp]> = [
      // The stand-in reads this body as privileged: only the post-create inspect can see it.
      [{ Image: 'alpine', Labels: { misread: 'yes' } }, /Privileged containers are not allowed \(the engine created it; it was removed\)/],
      [{ Image: 'alpine', HostConfig: { VolumesFrom: ['proxyc'] } }, /VolumesFrom proxyc would expose the Docker socket/],
      [{ Image: 'alpine', HostConfig: { VolumesFrom: ['x', 'nosuch:ro'] } }, /VolumesFrom nosuch: no such container/],
      [{ Image: 'alpine', HostConfig: { Binds: [`${backups}/link:/l`] } }, /passes through a symlink.*\/etc is outside/],
      [{ Image: 'alpine', HostConfig: { Binds: [`${backups}/link/sub/x:/l`] } }, /passes through a symlink/],
    ];
    for (const [body, why] of cases) {
      const r = await post('/containers/create', body);
      assert.equal(r.status, 403, r.body);
      assert.match(r.body, why);
    }
    assert.equal(created.size, before, 'each was removed');
    assert.equal(seen.filter((l) => l.startsWith('DELETE /containers/c') && l.includes('force=1&v=1')).length, cases.length);
  });

  it('re-resolves binds at start: a link planted after the create is refused', async () => {
    const r = await post('/containers/create', { Image: 'alpine', HostConfig: { Binds: [`${backups}/later/x:/l`] } });
    assert.equal(r.status, 201, r.body);
    const id = (JSON.parse(r.body) as { Id: string }).Id;
    symlinkSync('/', join(backups, 'later'));
    try {
      const s = await post(`/containers/${id}/start`, '');
      assert.equal(s.status, 403, s.body);
      assert.match(s.body, /symlink/);
    } finally {
      unlinkSync(join(backups, 'later'));
    }
    assert.equal((await post(`/containers/${id}/start`, '')).status, 201, 'a start with the binds where they were goes on');
  });

  it('other POSTs carry no body to the engine; old API versions are refused', async () => {
    assert.equal((await post('/containers/abc/start', '{"HostConfig":{"Privileged":true}}')).status, 201);
    assert.equal(seen.at(-1), 'POST /containers/abc/start ', 'what was in the body stays in the proxy');
    const before = seen.length;
    for (const [path, body] of [
      ['/v1.23/containers/abc/start', '{"Privileged":true}'],
      ['/containers/abc/start', 'null x'],
      ['/containers/abc/start', '[]'],
    ] as const) {
      const r = await post(path, body);
      assert.equal(r.status, 403, `${path} ${body}: ${r.body}`);
    }
    assert.equal(seen.length, before, seen.slice(before).join('\n'));
    assert.equal((await post('/containers/abc/start', ' {} ')).status, 201);
    assert.equal(seen.at(-1), 'POST /containers/abc/start ', 'an empty object is sent on as no body');
  });

  it('refuses a privileged create, a bind of /, a stray capability, before the engine sees them', async () => {
    const before = seen.length;
    for (const [hc, why] of [
      [{ Privileged: true }, /Privileged containers are not allowed/],
      [{ Binds: ['/:/host'] }, /bind of \/ would expose the Docker socket/],
      [{ Mounts: [{ Type: 'bind', Source: '/srv/backups/../../etc', Target: '/e' }] }, /\/etc is outside/],
      [{ CapAdd: ['SYS_ADMIN'] }, /capability SYS_ADMIN/],
      [{ PidMode: 'host' }, /PidMode host/],
      [{ privileged: true }, /Privileged containers are not allowed/],
      [{ Privileged: false, PRIVILEGED: true }, /Privileged is given twice \("Privileged" and "PRIVILEGED"\)/],
      [{ ['Networ\u212aMode']: 'host' }, /NetworkMode host/],
      [{ NotAField: 1 }, /"HostConfig.NotAField" is not a field the policy knows/],
    ] as const) {
      const r = await post('/containers/create', { Image: 'alpine', HostConfig: hc });
      assert.equal(r.status, 403);
      assert.match(JSON.parse(r.body).message, /^dockside api-proxy: POST \/containers\/create is not allowed for cron: /);
      assert.match(JSON.parse(r.body).message, why);
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
