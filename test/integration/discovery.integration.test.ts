/**
 * `dockside register` and `dockside ambassador` against a real engine, a real etcd (in a container
 * on a network this test creates: a sidecar in an app's namespace cannot reach the host's loopback)
 * and a real dnsmasq on the host's loopback reading the hosts directory the register sidecar writes.
 * Every app, registry and sidecar is this test's own; traffic goes to loopback and to them only.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { apiCallsFromInside } from '../support/api-calls.js';
import { cleanupRun, docker, freePort, requireEngine, runCli, startFixture, waitFor } from '../support/engine.js';
import { BASE, appAddress, b64, createNetwork, etcdEntries, etcdPost, removeNetwork, startApp, startDnsmasq, startEtcd } from '../support/discovery-fixtures.js';

const PREFIX = '/dstest/services';
let net = '';
let etcd = { name: '', port: 0 };
let registry = '';
let hostName = '';

const sidecarOf = (app: string, kind = 'register') => docker('ps', '-aq', '--filter', `label=dockside.target.name=${app}`, '--filter', `label=dockside.discovery.kind=${kind}`);
const keys = (service: string) => etcdEntries(etcd.port, `${PREFIX}/${service}/`);

describe('dockside register / ambassador: real etcd and dnsmasq', { timeout: 240_000 }, () => {
  before(async () => {
    await requireEngine();
    hostName = docker('info', '-f', '{{.Name}}');
    net = createNetwork('disc');
    etcd = await startEtcd(net, await freePort());
    registry = `etcd://${etcd.name}:2379${PREFIX}`;
  });
  after(() => {
    cleanupRun();
    removeNetwork(net);
  });

  it('publishes the address within 5 s, withdraws it when the check fails and brings it back; sweeps a stale key of this host only', async () => {
    const app = startApp('web1', net);
    const ip = appAddress(app, net);
    // A key this host left behind (a container long gone) and one of another host: only the first is stale.
    const stale = {
      service: 'web',
      id: `${hostName}-deadbeef0000-8080`,
      address: '10.9.9.9',
      port: 8080,
      tags: [],
      host: hostName,
      container: 'f'.repeat(64),
      containerName: 'gone',
      registeredAt: new Date(Date.now() - 60_000).toISOString(),
    };
    const other = { ...stale, id: 'elsewhere-deadbeef0000-8080', host: 'elsewhere' };
    for (const v of [stale, other]) await etcdPost(etcd.port, '/v3/kv/put', { key: b64(`${PREFIX}/web/${v.id}`), value: b64(JSON.stringify(v)) });

    const r = await runCli([
      'register',
      app,
      '--service',
      'web',
      '--port',
      '8080',
      '--check',
      'http:/healthz',
      '--interval',
      '1s',
      '--ttl',
      '4s',
      '--tag',
      'v1',
      '--to',
      registry,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const t0 = Date.now();
    const info = JSON.parse(r.stdout) as { stale: string[]; registered: { state: string; address: string } };
    assert.deepEqual(info.stale, [stale.id]);
    const mine = await waitFor(async () => (await keys('web')).find((k) => k.value['container'] === docker('inspect', '-f', '{{.Id}}', app)), 'the key of web1', 5000);
    assert.ok(Date.now() - t0 < 5000);
    assert.equal(mine.value['address'], ip);
    assert.equal(mine.value['port'], 8080);
    assert.deepEqual(mine.value['tags'], ['v1']);
    assert.notEqual(mine.lease, '0', 'the key is under a lease');
    const ids = (await keys('web')).map((k) => k.value['id']);
    assert.ok(!ids.includes(stale.id), 'the stale key of this host is gone');
    assert.ok(ids.includes(other.id), "another host's key is kept");

    // The sidecar: in the app's network namespace, no capabilities, no engine socket.
    const sc = sidecarOf(app);
    const hc = JSON.parse(docker('inspect', '-f', '{{json .HostConfig}}', sc)) as {
      NetworkMode: string;
      CapDrop: string[];
      CapAdd: string[] | null;
      ReadonlyRootfs: boolean;
      Binds: string[] | null;
    };
    assert.equal(hc.NetworkMode, `container:${docker('inspect', '-f', '{{.Id}}', app)}`);
    assert.deepEqual(hc.CapDrop, ['ALL']);
    assert.deepEqual(hc.CapAdd ?? [], []);
    assert.equal(hc.ReadonlyRootfs, true);
    assert.ok(!JSON.stringify(hc).includes('docker.sock'));
    // Its api-proxy: inspect of its own target and events; another container's inspect, a list, a create are refused.
    const answers = apiCallsFromInside(sc, [
      { method: 'GET', path: `/v1.41/containers/${docker('inspect', '-f', '{{.Id}}', app)}/json` },
      { method: 'GET', path: `/v1.41/events?since=0&until=1` },
      { method: 'GET', path: `/v1.41/containers/${docker('inspect', '-f', '{{.Id}}', etcd.name)}/json` },
      { method: 'GET', path: '/v1.41/containers/json' },
      { method: 'POST', path: '/v1.41/containers/create', body: '{}' },
    ]);
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200, 403, 403, 403],
    );

    docker('exec', app, 'touch', '/tmp/broken');
    const broke = Date.now();
    await waitFor(async () => !(await keys('web')).some((k) => k.value['address'] === ip), 'the key to be withdrawn', 2000 + 500);
    assert.ok(Date.now() - broke <= 2500, 'withdrawn within two intervals');
    docker('exec', app, 'rm', '/tmp/broken');
    await waitFor(async () => (await keys('web')).some((k) => k.value['address'] === ip), 'the key to come back', 2500);

    const ls = await runCli(['register', 'ls', '--json']);
    const row = (JSON.parse(ls.stdout) as Array<{ target: string; registered?: { state: string } }>).find((x) => x.target === app);
    assert.equal(row?.registered?.state, 'published');
  });

  it('follows the app across docker restart, drains on docker stop before the die event, and expires after docker kill of the sidecar', async () => {
    const app = startApp('web2', net, { termDelayMs: 1500 });
    const r = await runCli(['register', app, '--service', 'web2', '--port', '8080', '--check', 'tcp', '--interval', '1s', '--ttl', '4s', '--to', registry]);
    assert.equal(r.code, 0, r.stderr);
    await waitFor(async () => (await keys('web2')).length === 1, 'the key of web2', 5000);

    docker('restart', '-t', '5', app);
    const restarted = Date.now();
    await waitFor(async () => (await keys('web2')).length === 1, 'the key back after docker restart', 10_000);
    assert.ok(Date.now() - restarted < 10_000);
    assert.equal((await keys('web2'))[0]?.value['address'], appAddress(app, net));

    // docker stop: the app takes 1.5 s to exit after SIGTERM; the key must go before its die event.
    let goneAt = 0;
    const poll = (async () => {
      const end = Date.now() + 10_000;
      while (!goneAt && Date.now() < end) {
        if ((await keys('web2')).length === 0) goneAt = Date.now();
        else await new Promise((res) => setTimeout(res, 20));
      }
    })();
    const since = (Date.now() / 1000).toFixed(3);
    // Not spawnSync: the poll above must run while docker stop waits for the app.
    await new Promise<void>((resolve, reject) =>
      spawn('docker', ['stop', '-t', '10', app], { stdio: 'ignore' }).on('close', (c) => (c === 0 ? resolve() : reject(new Error(`docker stop exited ${c}`)))),
    );
    await poll;
    const dieNs =
      docker(
        'events',
        '--since',
        String(since),
        '--until',
        String(Math.ceil(Date.now() / 1000) + 1),
        '--filter',
        `container=${app}`,
        '--filter',
        'event=die',
        '--format',
        '{{.TimeNano}}',
      ).split('\n')[0] ?? '';
    assert.ok(goneAt > 0, 'the key went away');
    assert.ok(dieNs, 'a die event');
    const logs = () =>
      spawnSync('docker', ['logs', '-t', sidecarOf(app)], { encoding: 'utf8' })
        .stderr.split('\n')
        .map((l) => l.slice(0, 140))
        .slice(-8)
        .join('\n');
    assert.ok(goneAt < Number(BigInt(dieNs) / 1_000_000n), `key gone at ${goneAt}, die at ${Number(BigInt(dieNs) / 1_000_000n)}\n${logs()}`);

    docker('start', app);
    await waitFor(async () => (await keys('web2')).length === 1, 'the key back after docker start', 10_000);
    docker('kill', sidecarOf(app));
    const killed = Date.now();
    await waitFor(async () => (await keys('web2')).length === 0, 'the lease to expire', 4000 + 2000, 100);
    assert.ok(Date.now() - killed <= 6000);
    assert.equal(docker('inspect', '-f', '{{.State.Status}}', sidecarOf(app)), 'exited', 'a killed sidecar is not restarted by its policy');
  });

  it('dns: the name resolves through dnsmasq while registered, and not after', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dstest-hosts-'));
    const port = await freePort();
    let dnsmasq: ChildProcess | undefined;
    try {
      dnsmasq = await startDnsmasq(dir, port);
      const resolver = new Resolver({ timeout: 500, tries: 1 });
      resolver.setServers([`127.0.0.1:${port}`]);
      const lookup = () => resolver.resolve4('webdns').catch(() => [] as string[]);
      assert.deepEqual(await lookup(), []);
      const app = startApp('web3', net);
      const r = await runCli(['register', app, '--service', 'webdns', '--port', '8080', '--check', 'http:/healthz', '--interval', '1s', '--to', `dns:${dir}`]);
      assert.equal(r.code, 0, r.stderr);
      await waitFor(async () => (await lookup()).includes(appAddress(app, net)), 'webdns to resolve', 5000);
      docker('exec', app, 'touch', '/tmp/broken');
      await waitFor(async () => (await lookup()).length === 0, 'webdns to stop resolving once unhealthy', 3000);
      docker('exec', app, 'rm', '/tmp/broken');
      await waitFor(async () => (await lookup()).length === 1, 'webdns back', 3000);
      const s = await runCli(['register', 'stop', app]);
      assert.equal(s.code, 0, s.stderr);
      await waitFor(async () => (await lookup()).length === 0, 'webdns to stop resolving after register stop', 3000);
      assert.ok(
        readdirSync(dir).every((n) => !n.startsWith('.')),
        'no temporary file left',
      );
    } finally {
      dnsmasq?.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ambassador: an app on localhost keeps working while one of two upstreams is killed; new connections go to the other', async () => {
    const a = startApp('pool-a', net);
    const b = startApp('pool-b', net);
    for (const app of [a, b]) {
      const r = await runCli(['register', app, '--service', 'pool', '--port', '8080', '--check', 'http:/healthz', '--interval', '500ms', '--ttl', '2s', '--to', registry]);
      assert.equal(r.code, 0, r.stderr);
    }
    await waitFor(async () => (await keys('pool')).length === 2, 'two instances of pool', 5000);
    const client = startFixture('client', ['--network', net, BASE, 'sleep', '600']);
    const r = await runCli(['ambassador', client, '--listen', '7000', '--upstream', 'pool', '--from', registry, '--refresh', '250ms', '--connect-timeout', '500ms', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { status: { instances: unknown[] } }).status.instances.length, 2);

    // The app: one HTTP request to localhost:7000 every 50 ms for 7 s, each on a new connection.
    const script = `const http=require('http');const end=Date.now()+7000;(function go(){if(Date.now()>end)return;const t=Date.now();http.get({host:'127.0.0.1',port:7000,path:'/',agent:false,timeout:3000},(res)=>{let b='';res.on('data',(c)=>b+=c);res.on('end',()=>{console.log(JSON.stringify({t,ok:true,who:b.trim()}));setTimeout(go,50)})}).on('error',(e)=>{console.log(JSON.stringify({t,ok:false,err:e.message}));setTimeout(go,50)})})()`;
    const out: string[] = [];
    const run = new Promise<void>((resolve) => {
      const p = spawn('docker', ['exec', client, 'node', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      p.stdout.on('data', (c: Buffer) => out.push(c.toString()));
      p.on('close', () => resolve());
    });
    await new Promise((res) => setTimeout(res, 2500));
    const killedAt = Date.now();
    await new Promise<void>((resolve) => spawn('docker', ['kill', a], { stdio: 'ignore' }).on('close', () => resolve()));
    const killDone = Date.now();
    await run;
    const rows = out
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { t: number; ok: boolean; who?: string; err?: string });
    assert.ok(rows.length > 40, `requests made: ${rows.length}`);
    // A request already forwarded to pool-a when it was killed cannot be saved by a TCP forwarder
    // (one at most: the app sends one at a time); every connection made after the kill is answered.
    const lost = rows.filter((x) => !x.ok);
    assert.ok(lost.length <= 1 && lost.every((x) => x.t >= killedAt - 3000 && x.t <= killDone), `failed requests: ${JSON.stringify(lost)} (kill ${killedAt}..${killDone})`);
    assert.deepEqual(
      rows.filter((x) => !x.ok && x.t > killDone),
      [],
      'every request made after the kill got an answer',
    );
    const before = new Set(rows.filter((x) => x.t < killedAt).map((x) => x.who));
    assert.deepEqual([...before].sort(), ['hello from pool-a', 'hello from pool-b'], 'spread over both before the kill');
    // Requests made once docker kill returned (the kill itself takes a while to land under load).
    const after = rows.filter((x) => x.t > killDone);
    assert.ok(after.length > 10, `requests after the kill: ${after.length}`);
    assert.ok(
      after.every((x) => x.who === 'hello from pool-b'),
      'after the kill, only the live instance answers',
    );
    // The dead instance gets no connection once it is withdrawn: its count stops growing.
    const countOf = async () => {
      const ls = JSON.parse((await runCli(['ambassador', 'ls', '--json'])).stdout) as Array<{
        target: string;
        status?: { instances: Array<{ address: string; connections: number; failures: number; healthy: boolean }> };
      }>;
      return ls.find((x) => x.target === client)?.status?.instances ?? [];
    };
    const metrics = docker(
      'exec',
      client,
      'node',
      '-e',
      "require('http').get('http://127.0.0.1:9325/metrics',(r)=>{let b='';r.on('data',(c)=>b+=c);r.on('end',()=>console.log(b))})",
    );
    assert.match(metrics, /dockside_ambassador_connections_failed_total\{upstream="pool"\} 0/);
    assert.match(metrics, /dockside_ambassador_instance_up\{upstream="pool",instance="[0-9.]+:8080"\} 0/);
    assert.match(metrics, /dockside_ambassador_instance_up\{upstream="pool",instance="[0-9.]+:8080"\} 1/);
    await waitFor(async () => (await countOf()).some((i) => !i.healthy), 'ambassador ls to show the dead instance down', 5000, 500);
  });

  it('watch --exec and ambassador --on-change-signal respond once per change of the healthy set (not at start); their proxy allows only that action', async () => {
    const a = startApp('chg-a', net);
    const b = startApp('chg-b', net);
    for (const app of [a, b]) {
      const r = await runCli(['register', app, '--service', 'chg', '--port', '8080', '--check', 'http:/healthz', '--interval', '500ms', '--ttl', '2s', '--to', registry]);
      assert.equal(r.code, 0, r.stderr);
    }
    await waitFor(async () => (await keys('chg')).length === 2, 'two instances of chg', 5000);
    const client = startFixture('chg-client', ['--network', net, BASE, 'sleep', '600']);
    // A shell that records each HUP (sh as PID 1 acts on a signal it traps).
    const hupper = startFixture('chg-hup', ['--network', net, BASE, 'sh', '-c', 'trap "echo hup >> /tmp/hups" HUP; while :; do sleep 0.1; done']);
    const w = await runCli([
      'watch',
      client,
      '--upstream',
      'chg',
      '--from',
      registry,
      '--refresh',
      '250ms',
      '--debounce',
      '500ms',
      '--exec',
      `sh -c 'echo "$DOCKSIDE_UPSTREAM=$DOCKSIDE_UPSTREAMS" >> /tmp/changes'`,
      '--json',
    ]);
    assert.equal(w.code, 0, w.stderr);
    const amb = await runCli([
      'ambassador',
      hupper,
      '--listen',
      '7100',
      '--upstream',
      'chg',
      '--from',
      registry,
      '--refresh',
      '250ms',
      '--debounce',
      '500ms',
      '--on-change-signal',
      'HUP',
    ]);
    assert.equal(amb.code, 0, amb.stderr);
    const changes = () => docker('exec', client, 'sh', '-c', 'cat /tmp/changes 2>/dev/null || true');
    const hups = () => docker('exec', hupper, 'sh', '-c', 'cat /tmp/hups 2>/dev/null || true');
    await new Promise((r) => setTimeout(r, 1500)); // what would fire at start has had its chance
    assert.equal(changes(), '', 'the set the container started with does not fire');
    assert.equal(hups(), '');

    const [addrA, addrB] = [appAddress(a, net), appAddress(b, net)];
    docker('kill', a);
    await waitFor(() => changes() !== '', 'the watch to run its command after the kill', 10_000, 200);
    await waitFor(() => hups() !== '', 'the ambassador to send HUP after the kill', 10_000, 200);
    await new Promise((r) => setTimeout(r, 1000)); // debounced: no second run for the same change
    assert.equal(changes(), `chg=${addrB}:8080`, `one run, with the new set only (${addrA} gone)`);
    assert.equal(hups(), 'hup');
    const ls = JSON.parse((await runCli(['watch', 'ls', '--json'])).stdout) as Array<{
      target: string;
      status?: { changes?: { runs: number; failed: number; last?: { exitCode: number | null; set: string[] } } };
    }>;
    const mine = ls.find((x) => x.target === client)?.status?.changes;
    assert.equal(mine?.runs, 1, JSON.stringify(ls));
    assert.equal(mine?.failed, 0);
    assert.deepEqual(mine?.last?.set, [`${addrB}:8080`]);
    assert.equal(mine?.last?.exitCode, 0);

    // The watch's api-proxy: exactly its exec (sh, as the container's user) in its container.
    const sc = sidecarOf(client, 'watch');
    const clientId = docker('inspect', '-f', '{{.Id}}', client);
    const answers = apiCallsFromInside(sc, [
      { method: 'POST', path: `/v1.41/containers/${clientId}/exec`, body: JSON.stringify({ Cmd: ['id'] }) },
      { method: 'POST', path: `/v1.41/containers/${clientId}/exec`, body: JSON.stringify({ Cmd: ['sh'], User: 'root' }) },
      { method: 'POST', path: `/v1.41/containers/${clientId}/exec`, body: JSON.stringify({ Cmd: ['sh'], Privileged: true }) },
      { method: 'POST', path: `/v1.41/containers/${docker('inspect', '-f', '{{.Id}}', b)}/exec`, body: JSON.stringify({ Cmd: ['sh'] }) },
      { method: 'POST', path: `/v1.41/containers/${clientId}/kill?signal=KILL` },
    ]);
    assert.deepEqual(
      answers.map((x) => x.status),
      [403, 403, 403, 403, 403],
      JSON.stringify(answers),
    );
    const stop = await runCli(['watch', 'stop', client]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(sidecarOf(client, 'watch'), '');
    const both = await runCli(['watch', client, '--upstream', 'chg', '--from', registry, '--exec', 'true', '--signal', 'HUP']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /^dockside: give --exec or --signal, not both/);
  });

  it('register --all: containers that declare themselves by labels are registered; bad labels are reported, the rest go on', async () => {
    const good = startApp('lab1', net, {
      labels: {
        'dockside.register.service': `lab-${Date.now() % 100000}`,
        'dockside.register.port': '8080',
        'dockside.register.check': 'http:/healthz',
        'dockside.register.tags': 'blue,v2',
      },
    });
    const service = docker('inspect', '-f', '{{index .Config.Labels "dockside.register.service"}}', good);
    const bad = startApp('lab2', net, { labels: { 'dockside.register.service': 'lab-bad', 'dockside.register.port': 'http' } });
    const r = await runCli(['register', '--all', '--to', registry, '--interval', '1s', '--ttl', '4s', '--json']);
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout) as { registered: Array<{ target: string }>; failed: Array<{ target: string; error: string }> };
    assert.ok(out.registered.some((x) => x.target === good));
    assert.deepEqual(
      out.failed.filter((f) => f.target === bad).map((f) => f.error),
      ['label dockside.register.port: must be a port from 1 to 65535 (got "http")'],
    );
    const k = await waitFor(async () => (await keys(service))[0], 'the labelled container in etcd', 5000);
    assert.equal(k.value['address'], appAddress(good, net));
    assert.deepEqual(k.value['tags'], ['blue', 'v2']);
  });

  it('bad input: one line, exit 2, nothing left running', async () => {
    const app = startApp('web4', net);
    const cases: Array<[string[], RegExp]> = [
      [['--to', 'zookeeper://zk:2181'], /unknown registry scheme "zookeeper:"/],
      [['--to', `etcd://${appAddress(app, net)}:2399`], /cannot reach the etcd registry at .*:2399: ECONNREFUSED/],
      [['--to', registry, '--port', '9999'], /does not listen on port 9999 \(it listens on 8080\)/],
    ];
    for (const [extra, re] of cases) {
      const args = ['register', app, '--service', 'bad', '--check', 'tcp', ...(extra.includes('--port') ? [] : ['--port', '8080']), ...extra];
      const r = await runCli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr.split('\n')[0] ?? '', re);
      assert.ok(r.stderr.trim().split('\n').length <= 2, r.stderr);
      assert.ok(!r.stderr.includes('    at '), 'no stack trace');
    }
    // A dns: registry is a bind mount: the host-path rule holds for readers too.
    for (const args of [
      ['ambassador', app, '--listen', '7001', '--upstream', 'x', '--from', 'dns:/etc'],
      ['watch', app, '--upstream', 'x', '--from', 'dns:/proc', '--signal', 'HUP'],
    ]) {
      const r = await runCli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr.split('\n')[0] ?? '', /a sidecar may not mount it/);
    }
    assert.equal(docker('ps', '-aq', '--filter', `label=dockside.target.name=${app}`), '', 'no sidecar or api-proxy left behind');
  });
});
