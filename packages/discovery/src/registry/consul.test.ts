/**
 * The Consul registry against a recording fake of the documented agent API (no Consul server is
 * packaged for Debian, nor shipped on npm): the requests a register sidecar makes through a whole
 * life (publish, keep-alive, failing check, passing again, drain, stop) in the documented order and
 * shapes, and instances read back from /v1/health/service/<name>?passing=true.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Registrar } from '../program/registrar.js';
import { ConsulRegistry } from './consul.js';
import type { Instance } from './instance.js';

interface Seen {
  method: string;
  path: string;
  body?: Record<string, unknown>;
}

/** Agent state as Consul keeps it: services, their TTL check status, maintenance. */
function fakeAgent(seen: Seen[]): Server {
  const services = new Map<string, { def: Record<string, unknown>; status: string; maintenance: boolean }>();
  return createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push({ method: req.method ?? '', path: `${url.pathname}${url.search}`, ...(text ? { body: JSON.parse(text) as Record<string, unknown> } : {}) });
      const send = (status: number, body?: unknown) => {
        res.statusCode = status;
        res.end(body === undefined ? '' : JSON.stringify(body));
      };
      const p = url.pathname;
      if (req.method === 'GET' && p === '/v1/agent/self') return send(200, { Config: { NodeName: 'fake' } });
      if (req.method === 'PUT' && p === '/v1/agent/service/register') {
        const def = JSON.parse(text) as { ID: string; Check?: { TTL?: string } };
        if (!def.Check?.TTL) return send(400, 'a TTL check is expected');
        services.set(def.ID, { def, status: 'critical', maintenance: false });
        return send(200);
      }
      const m = /^\/v1\/agent\/check\/(pass|fail|warn)\/service:(.+)$/.exec(p);
      if (req.method === 'PUT' && m) {
        const s = services.get(decodeURIComponent(m[2] as string));
        if (!s) return send(404, `Unknown check ID`);
        s.status = m[1] === 'pass' ? 'passing' : m[1] === 'fail' ? 'critical' : 'warning';
        return send(200);
      }
      const mm = /^\/v1\/agent\/service\/maintenance\/(.+)$/.exec(p);
      if (req.method === 'PUT' && mm) {
        const s = services.get(decodeURIComponent(mm[1] as string));
        if (!s) return send(404, 'Unknown service ID');
        if (!['true', 'false'].includes(url.searchParams.get('enable') ?? '')) return send(400, 'enable must be true or false');
        s.maintenance = url.searchParams.get('enable') === 'true';
        return send(200);
      }
      const d = /^\/v1\/agent\/service\/deregister\/(.+)$/.exec(p);
      if (req.method === 'PUT' && d) return send(services.delete(decodeURIComponent(d[1] as string)) ? 200 : 404);
      const h = /^\/v1\/health\/service\/(.+)$/.exec(p);
      if (req.method === 'GET' && h) {
        const rows = [...services.values()].filter((s) => s.def['Name'] === h[1] && (url.searchParams.get('passing') !== 'true' || (s.status === 'passing' && !s.maintenance)));
        return send(
          200,
          rows.map((s) => ({
            Node: { Node: 'fake' },
            Service: { ID: s.def['ID'], Service: s.def['Name'], Address: s.def['Address'], Port: s.def['Port'], Tags: s.def['Tags'], Meta: s.def['Meta'] },
            Checks: [],
          })),
        );
      }
      if (req.method === 'GET' && p === '/v1/agent/services')
        return send(200, Object.fromEntries([...services].map(([id, s]) => [id, { ID: id, Service: s.def['Name'], Meta: s.def['Meta'] }])));
      send(404, 'not in the fake');
    });
  });
}

/** Timers run by hand: the registrar's clock without sleeping. */
function manualClock() {
  let now = 0;
  let timers: Array<{ at: number; fn: () => Promise<unknown>; live: boolean }> = [];
  return {
    now: () => now,
    setTimer: (fn: () => Promise<unknown>, ms: number) => {
      const t = { at: now + ms, fn, live: true };
      timers.push(t);
      return { cancel: () => void (t.live = false) };
    },
    async advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const due = timers.filter((t) => t.live && t.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        due.live = false;
        now = due.at;
        timers = timers.filter((t) => t.live);
        await due.fn(); // the check or keep-alive it started, HTTP round trips included
      }
      now = end;
    },
  };
}

const inst: Instance = {
  service: 'web',
  id: 'vm-0123456789ab-8080',
  address: '172.18.0.5',
  port: 8080,
  tags: ['v1'],
  host: 'vm',
  container: '0123456789ab'.padEnd(64, '0'),
  containerName: 'web1',
  registeredAt: '2026-12-03T12:00:00.000Z',
};

describe('consul registry (recorded fake of the agent API)', () => {
  const seen: Seen[] = [];
  const server = fakeAgent(seen);
  let port = 0;
  before(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as { port: number }).port;
  });
  after(() => server.close());

  it('registers with a TTL check, passes it every TTL/3, fails it on a failing check, maintenance on drain, deregisters on stop', async () => {
    const reg = new ConsulRegistry({ host: '127.0.0.1', port });
    await reg.open();
    const clock = manualClock();
    let healthy = true;
    const r = new Registrar({
      registry: reg,
      check: async () => ({ ok: healthy, detail: healthy ? 'HTTP 200' : 'HTTP 500', ms: 1 }),
      instance: inst,
      intervalMs: 5000,
      ttlMs: 15_000,
      onState: () => undefined,
      warn: (m) => assert.fail(m),
      now: clock.now,
      setTimer: clock.setTimer,
    });
    await r.start();
    assert.deepEqual(
      (await reg.list('web')).map((i) => i.id),
      [inst.id],
      'passing after the first check',
    );
    await clock.advance(5000); // keep-alive (ttl/3) and a check
    healthy = false;
    await clock.advance(5000);
    assert.deepEqual(await reg.list('web'), [], 'a failing check makes it critical');
    healthy = true;
    await clock.advance(5000);
    assert.equal((await reg.list('web')).length, 1);
    await r.drain();
    assert.deepEqual(await reg.list('web'), [], 'maintenance hides it');
    await r.stop();
    const calls = seen.filter((s) => s.path !== '/v1/agent/self' && !s.path.startsWith('/v1/health/')).map((s) => `${s.method} ${s.path.replace(/\?note=.*$/, '')}`);
    const id = `web-${inst.id}`;
    assert.deepEqual(calls, [
      'PUT /v1/agent/service/register',
      `PUT /v1/agent/service/maintenance/${id}?enable=false`,
      `PUT /v1/agent/check/pass/service:${id}`,
      `PUT /v1/agent/check/pass/service:${id}`, // keep-alive at 5 s (TTL/3)
      `PUT /v1/agent/check/pass/service:${id}`, // keep-alive at 10 s
      `PUT /v1/agent/check/fail/service:${id}`, // the check at 10 s failed
      `PUT /v1/agent/service/maintenance/${id}?enable=false`, // passing again at 15 s: no second register
      `PUT /v1/agent/check/pass/service:${id}`,
      `PUT /v1/agent/service/maintenance/${id}?enable=true&reason=dockside%3A%20draining`,
      `PUT /v1/agent/service/deregister/${id}`,
    ]);
    const body = seen[1]?.body ?? seen.find((s) => s.path === '/v1/agent/service/register')?.body;
    assert.deepEqual(
      { ...body, Meta: undefined },
      {
        ID: id,
        Name: 'web',
        Address: '172.18.0.5',
        Port: 8080,
        Tags: ['v1'],
        Meta: undefined,
        Check: { CheckID: `service:${id}`, Name: 'dockside register', TTL: '15s', DeregisterCriticalServiceAfter: '60s' },
      },
    );
  });

  it('an agent that does not answer is one line naming it', async () => {
    const reg = new ConsulRegistry({ host: '127.0.0.1', port: 1 });
    await assert.rejects(reg.open(), /cannot reach the consul registry at 127\.0\.0\.1:1: ECONNREFUSED/);
  });
});
