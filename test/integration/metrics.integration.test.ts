/**
 * `dockside metrics` and `dockside top` against a real engine: containers with known load move the
 * figures by the expected amounts, the figures agree with the Engine's own stats API, shared
 * network namespaces are counted once, and bad input gets one line.
 *
 * Tolerances (stated once, used below):
 *   CPU        the burner spins until the kernel says it used BURN_S of CPU (process.cpuUsage), so
 *              the container's CPU seconds move by BURN_S plus a little (signal handling, GC):
 *              [BURN_S - 0.05, BURN_S + 0.5].
 *   memory     allocating and touching ALLOC_MIB raises the working set by [0.9, 1.25] x ALLOC_MIB.
 *   block I/O  writing WRITE_MIB with O_DIRECT + fsync raises write bytes by [1.0, 1.1] x WRITE_MIB
 *              (file system metadata and journal on top).
 *   network    serving NET_BYTES over HTTP raises eth0 transmit bytes by [1.0, 1.08] x NET_BYTES
 *              (Ethernet/IP/TCP headers are about 4.6% at MTU 1500, plus the HTTP header).
 *   stats API  our figures and the Engine stats API agree within 5%.
 *
 * Block I/O on cgroup v1 with kernels since 6.9: the blkio.throttle.* counters only move on a
 * device that has a throttle rule (the kernel skips the accounting otherwise; `docker stats` shows
 * 0 B too). The fixture therefore gets a generous --device-write-bps rule on the device holding
 * Docker's data, which changes nothing else.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { engineStatsOnce, type Engine } from '@dockside/engine';
import { IMAGE_TAG, cleanupRun, docker, requireEngine, runCli, startFixture, waitFor } from '../support/engine.js';

const BASE = `dockside/base:${IMAGE_TAG}`;
const MiB = 1024 * 1024;
const BURN_S = 2;
const ALLOC_MIB = 64;
const WRITE_MIB = 32;
const NET_BYTES = 8 * MiB;

/** The load fixture: SIGUSR1 burns BURN_S of CPU, SIGUSR2 allocates and touches ALLOC_MIB, GET /blob?n= serves n bytes. */
const LOAD = `
const http = require('http'); const hold = [];
process.on('SIGUSR1', () => { const s = process.cpuUsage(); for (;;) { const u = process.cpuUsage(s); if (u.user + u.system >= ${BURN_S * 1e6}) break; } });
process.on('SIGUSR2', () => { hold.push(Buffer.alloc(${ALLOC_MIB} * 1024 * 1024, 7)); });
process.on('SIGTERM', () => process.exit(0));
http.createServer((q, r) => { const n = Number(new URL(q.url, 'http://x').searchParams.get('n') || 0); r.end(n ? Buffer.alloc(n, 97) : 'ok'); }).listen(8080);
`;

interface Row {
  id: string;
  name: string;
  cpuSeconds: number;
  memoryUsageBytes: number;
  memoryWorkingSetBytes: number;
  memoryLimitBytes: number | null;
  netRxBytes: number | null;
  netTxBytes: number | null;
  networkSharedWith: string | null;
  blockWriteBytes: number;
  blockReadBytes: number;
  pids: number;
  pidsLimit: number | null;
}

let engine: Engine;
let load = '';
let joined = '';
let port = 0;

async function snapshot(...names: string[]): Promise<Map<string, Row>> {
  const r = await runCli(['metrics', ...names, '--json', '--sample', '200ms']);
  assert.equal(r.code, 0, r.stderr);
  const snap = JSON.parse(r.stdout) as { containers: Row[]; cgroupVersion: number; collectionMs: number };
  return new Map(snap.containers.map((c) => [c.name, c]));
}

async function row(name: string): Promise<Row> {
  const r = (await snapshot(name)).get(name);
  assert.ok(r, `snapshot has ${name}`);
  return r;
}

function httpGet(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 30_000, agent: false }, (res) => {
      let n = 0;
      res.on('data', (c: Buffer) => (n += c.length));
      res.on('end', () => resolve(n));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

function within(actual: number, lo: number, hi: number, what: string): void {
  assert.ok(actual >= lo && actual <= hi, `${what}: ${actual} not in [${lo}, ${hi}]`);
}

function close(ours: number, theirs: number, what: string, tol = 0.05): void {
  const diff = Math.abs(ours - theirs);
  assert.ok(diff <= tol * Math.max(Math.abs(theirs), 1), `${what}: dockside ${ours} vs stats API ${theirs} (off by ${((diff / Math.max(theirs, 1)) * 100).toFixed(1)}%)`);
}

/** The block device holding Docker's data (for the throttle rule that turns v1 blkio accounting on). */
function dockerDevice(): string {
  const root = docker('info', '--format', '{{.DockerRootDir}}');
  const src = docker('run', '--rm', '-v', `${root}:/r:ro`, BASE, 'sh', '-c', 'df --output=source /r | tail -1');
  if (src.startsWith('/dev/')) return src;
  return '';
}

describe('dockside metrics: snapshot figures against known load', { timeout: 300_000 }, () => {
  before(async () => {
    engine = await requireEngine();
    const dev = dockerDevice();
    load = startFixture('load', [
      '-p',
      '127.0.0.1::8080',
      '--memory',
      '512m',
      '--cpus',
      '1.5',
      '--pids-limit',
      '100',
      '--label',
      'com.example.tier=test',
      ...(dev ? ['--device-write-bps', `${dev}:10gb`] : []),
      BASE,
      'node',
      '-e',
      LOAD,
    ]);
    joined = startFixture('joined', ['--net', `container:${load}`, BASE, 'sleep', '600']);
    port = Number(docker('port', load, '8080/tcp').split('\n')[0]?.split(':').pop());
    await waitFor(
      () =>
        httpGet('/')
          .then(() => true)
          .catch(() => false),
      'the load fixture to listen',
      20_000,
      200,
    );
  });
  after(() => cleanupRun());

  it('lists the named containers with limits, pids and cgroup version; a joined container shares its network line', async () => {
    const rows = await snapshot(load, joined);
    assert.deepEqual([...rows.keys()].sort(), [joined, load].sort());
    const l = rows.get(load) as Row;
    const j = rows.get(joined) as Row;
    assert.equal(l.memoryLimitBytes, 512 * MiB);
    assert.equal(l.pidsLimit, 100);
    assert.ok(l.pids >= 1);
    assert.ok(l.netRxBytes !== null && l.netRxBytes > 0, 'own network namespace has counters');
    assert.equal(j.networkSharedWith, load, '--net container: is reported once, by the owner');
    assert.equal(j.netRxBytes, null);
    const table = await runCli(['metrics', load, joined]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /NAME\s+CPU %\s+MEM\s+LIMIT\s+WORKING SET/);
    assert.match(table.stdout, new RegExp(`${joined}.*\\(${load}\\)`));
    assert.match(table.stdout, new RegExp(`${load}\\s.*512\\.0 MiB`));
  });

  it(`a CPU burner moves CPU seconds by its CPU time (${BURN_S}s)`, async () => {
    const before = await row(load);
    docker('kill', '-s', 'USR1', load);
    await new Promise((r) => setTimeout(r, 200));
    await httpGet('/'); // answers only once the burn has finished (it blocks the event loop)
    const after = await row(load);
    within(after.cpuSeconds - before.cpuSeconds, BURN_S - 0.05, BURN_S + 0.5, 'CPU seconds moved');
  });

  it(`allocating and touching ${ALLOC_MIB} MiB raises the working set by about ${ALLOC_MIB} MiB`, async () => {
    const before = await row(load);
    docker('kill', '-s', 'USR2', load);
    await new Promise((r) => setTimeout(r, 200));
    await httpGet('/');
    const after = await row(load);
    within((after.memoryWorkingSetBytes - before.memoryWorkingSetBytes) / MiB, ALLOC_MIB * 0.9, ALLOC_MIB * 1.25, 'working set MiB');
  });

  it(`writing ${WRITE_MIB} MiB with sync raises write bytes by about ${WRITE_MIB} MiB`, async () => {
    const before = await row(load);
    docker('exec', load, 'dd', 'if=/dev/zero', 'of=/var/tmp/blob', 'bs=1M', `count=${WRITE_MIB}`, 'oflag=direct', 'conv=fsync');
    const after = await row(load);
    within((after.blockWriteBytes - before.blockWriteBytes) / MiB, WRITE_MIB, WRITE_MIB * 1.1, 'write MiB');
  });

  it(`${NET_BYTES} bytes served over HTTP show in the transmit counter`, async () => {
    const before = await row(load);
    assert.equal(await httpGet(`/blob?n=${NET_BYTES}`), NET_BYTES);
    const after = await row(load);
    within((after.netTxBytes ?? 0) - (before.netTxBytes ?? 0), NET_BYTES, NET_BYTES * 1.08, 'transmit bytes');
    assert.ok((after.netRxBytes ?? 0) > (before.netRxBytes ?? 0), 'the request and ACKs show as received bytes');
  });

  it('agrees with the Docker Engine stats API within 5%', async () => {
    const ours = await row(load);
    const theirs = await engineStatsOnce(engine, ours.id);
    close(ours.cpuSeconds, theirs.cpu_stats.cpu_usage.total_usage / 1e9, 'CPU seconds');
    const usage = theirs.memory_stats.usage ?? 0;
    close(ours.memoryUsageBytes, usage, 'memory usage');
    const inactive = theirs.memory_stats.stats?.['total_inactive_file'] ?? theirs.memory_stats.stats?.['inactive_file'] ?? 0;
    close(ours.memoryWorkingSetBytes, usage - inactive, 'working set');
    const writes = (theirs.blkio_stats.io_service_bytes_recursive ?? []).filter((e) => e.op.toLowerCase() === 'write').reduce((a, e) => a + e.value, 0);
    close(ours.blockWriteBytes, writes, 'block write bytes');
    const eth0 = theirs.networks?.['eth0'];
    assert.ok(eth0, 'stats API reports eth0');
    close(ours.netTxBytes ?? 0, eth0.tx_bytes, 'network transmit bytes');
    close(ours.netRxBytes ?? 0, eth0.rx_bytes, 'network receive bytes');
    assert.ok(ours.memoryWorkingSetBytes > ALLOC_MIB * MiB, 'the figures compared are not trivially zero');
  });

  it('containers that come and go during collection cause no error', async () => {
    const churn: string[] = [];
    for (let i = 0; i < 4; i++) churn.push(startFixture(`churn${i}`, ['--rm', BASE, 'sh', '-c', `sleep 0.${3 + i}`]));
    const runs = await Promise.all([runCli(['metrics', '--json', '--sample', '500ms']), runCli(['metrics', '--sample', '700ms'])]);
    for (const r of runs) {
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
    }
    assert.ok(runs[0]?.stdout.includes(load));
  });

  it('a named container that stops during the sample is said to be missing, exit 2; the others are printed', async () => {
    const brief = startFixture('brief', [BASE, 'sleep', '300']);
    const brief2 = startFixture('brief2', [BASE, 'sleep', '300']);
    // Both running when the first reading is taken (the CLI starts well within 5 s), stopped before the second (10 s).
    const runs = Promise.all([runCli(['metrics', load, brief, '--sample', '10s']), runCli(['metrics', load, brief2, '--sample', '10s', '--json'])]);
    await new Promise((r) => setTimeout(r, 5000));
    docker('stop', '-t', '0', brief, brief2);
    const [human, json] = await runs;
    assert.equal(human.code, 2, human.stderr);
    assert.match(human.stdout, new RegExp(`^${load}\\s`, 'm'), 'the running one is printed');
    assert.doesNotMatch(human.stdout, new RegExp(brief));
    assert.match(human.stderr, new RegExp(`^dockside: container "${brief}" stopped during the sample: no figures for it\n  hint: `));
    assert.equal(json.code, 2, json.stderr);
    const snap = JSON.parse(json.stdout) as { containers: Row[]; missing: Array<{ name: string }> };
    assert.deepEqual(
      snap.containers.map((c) => c.name),
      [load],
    );
    assert.deepEqual(
      snap.missing.map((m) => m.name),
      [brief2],
    );
    assert.match(json.stderr, /stopped during the sample/);
  });

  it('network figures follow the main process (State.Pid) when a lower pid sits in the cgroup (PIDs wrapped)', async () => {
    // A host process started before the container (so its pid is lower), in a network namespace of
    // its own (only lo), moved into the container's cgroups: what a short-lived child looks like
    // once PIDs have wrapped. The lowest pid in cgroup.procs is then not the container's process.
    const low = spawn('unshare', ['-n', 'sleep', '120'], { stdio: 'ignore' });
    try {
      await waitFor(() => existsSync(`/proc/${low.pid}/net/dev`) && readFileSync(`/proc/${low.pid}/comm`, 'utf8').trim() === 'sleep', 'the low-pid process');
      const wrapped = startFixture('wrapped', ['-p', '127.0.0.1::8080', BASE, 'node', '-e', LOAD]);
      const wport = Number(docker('port', wrapped, '8080/tcp').split('\n')[0]?.split(':').pop());
      const main = Number(docker('inspect', '-f', '{{.State.Pid}}', wrapped));
      assert.ok((low.pid as number) < main, `the moved process (${low.pid}) has the lower pid (main ${main})`);
      const unified = existsSync('/sys/fs/cgroup/cgroup.controllers') ? '/sys/fs/cgroup' : '/sys/fs/cgroup/unified';
      const listed: string[] = [];
      for (const line of readFileSync(`/proc/${main}/cgroup`, 'utf8').trim().split('\n')) {
        const [, ctrls = '', path = ''] = line.split(':');
        const dir = ctrls === '' ? `${unified}${path}` : `/sys/fs/cgroup/${ctrls.replace(/^name=/, '')}${path}`;
        try {
          writeFileSync(`${dir}/cgroup.procs`, String(low.pid));
          if (readFileSync(`${dir}/cgroup.procs`, 'utf8').split('\n').includes(String(low.pid))) listed.push(ctrls || 'unified');
        } catch {
          /* a hierarchy without that container's directory */
        }
      }
      assert.ok(
        listed.some((c) => /pids|memory|unified/.test(c)),
        `moved into the container's cgroup (${listed.join(', ')})`,
      );
      const getW = (n: number) =>
        new Promise<number>((resolve, reject) => {
          request({ host: '127.0.0.1', port: wport, path: `/blob?n=${n}`, agent: false }, (res) => {
            let got = 0;
            res.on('data', (c: Buffer) => (got += c.length));
            res.on('end', () => resolve(got));
          })
            .on('error', reject)
            .end();
        });
      await waitFor(
        () =>
          getW(1)
            .then(() => true)
            .catch(() => false),
        'the fixture to listen',
        20_000,
        200,
      );
      assert.equal(await getW(MiB), MiB);
      const r = await row(wrapped);
      assert.ok((r.netTxBytes ?? 0) >= MiB, `transmit bytes of the container's own namespace: ${r.netTxBytes}`);
      assert.ok((r.netRxBytes ?? 0) > 0, `receive bytes: ${r.netRxBytes}`);
      const t = await runCli(['top', '--count', '1', '--interval', '300ms', '--sort', 'name'], { timeoutMs: 30_000 });
      assert.equal(t.code, 0, t.stderr);
      assert.ok(t.stdout.includes(wrapped));
    } finally {
      low.kill('SIGKILL');
    }
  });

  it('top prints plain tables when not on a terminal and stops after --count', async () => {
    const r = await runCli(['top', '--count', '2', '--interval', '500ms', '--sort', 'mem'], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    const frames = r.stdout.split('dockside top').length - 1;
    assert.equal(frames, 2, r.stdout);
    assert.match(r.stdout, /sorted by mem/);
    assert.ok(r.stdout.includes(load));
    assert.ok(!r.stdout.includes('\u001b['), 'no terminal escapes in plain mode');
  });

  it('bad input: one line, non-zero exit', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['metrics', 'no-such-container-xyz'], /no container named "no-such-container-xyz"/],
      [['metrics', '--sample', '5x'], /"5x" is not a duration/],
      [['metrics', '--sample', '10ms'], /--sample must be between/],
      [['top', '--sort', 'colour'], /Expected --sort=colour to be one of/],
      [['top', '--interval', '0s'], /--interval must be between/],
      [['metrics', 'serve', '--listen', 'localhost:80'], /--listen must be an IP address/],
      [['metrics', 'serve', '--port', '70000'], /Parsing --port: Expected an integer less than or equal to 65535/],
      [['metrics', 'serve', '--token-file', '/nonexistent/token'], /cannot read token file \/nonexistent\/token: ENOENT/],
    ];
    for (const [args, re] of cases) {
      const r = await runCli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
      assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
    }
    const stopped = startFixture('stopped', [BASE, 'true']);
    await waitFor(() => docker('inspect', '-f', '{{.State.Status}}', stopped) === 'exited', 'the fixture to exit');
    const r = await runCli(['metrics', stopped]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /is not running/);
  });

  it('says clearly when the engine is not on this host, and refuses with --source host', async () => {
    const auto = await runCli(['metrics'], { env: { DOCKER_HOST: 'tcp://127.0.0.1:1' } });
    assert.match(auto.stderr, /the engine at tcp:\/\/127\.0\.0\.1:1 is not on this host.*one-shot metrics sidecar/);
    assert.equal(auto.code, 3, 'then the unreachable engine is reported as such');
    assert.match(auto.stderr, /cannot reach the Docker engine at tcp:\/\/127\.0\.0\.1:1/);
    const host = await runCli(['metrics', '--source', 'host'], { env: { DOCKER_HOST: 'tcp://127.0.0.1:1' } });
    assert.equal(host.code, 2, host.stderr);
    assert.match(host.stderr, /is not on this host/);
  });

  it('--source sidecar (the path for remote engines) gives the same figures as reading this host', async () => {
    const r = await runCli(['metrics', load, joined, '--source', 'sidecar', '--json', '--sample', '300ms']);
    assert.equal(r.code, 0, r.stderr);
    const snap = JSON.parse(r.stdout) as { source: string; containers: Row[] };
    assert.equal(snap.source, 'sidecar');
    const side = new Map(snap.containers.map((c) => [c.name, c]));
    assert.deepEqual([...side.keys()].sort(), [joined, load].sort());
    const host = await row(load);
    const s = side.get(load) as Row;
    close(s.memoryLimitBytes ?? 0, host.memoryLimitBytes ?? 0, 'limit', 0);
    close(s.cpuSeconds, host.cpuSeconds, 'CPU seconds');
    close(s.blockWriteBytes, host.blockWriteBytes, 'write bytes');
    close(s.netTxBytes ?? 0, host.netTxBytes ?? 0, 'transmit bytes');
    close(s.memoryWorkingSetBytes, host.memoryWorkingSetBytes, 'working set');
    assert.equal(side.get(joined)?.networkSharedWith, load);
    const oneShots = docker('ps', '-a', '--filter', 'label=dockside.role=metrics', '--format', '{{.Label "dockside.metrics.service"}}')
      .split('\n')
      .filter((l) => l !== 'true' && l !== '');
    assert.deepEqual(oneShots, [], 'the one-shot sidecar is removed');
  });
});
