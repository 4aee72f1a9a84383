/**
 * `dockside metrics serve` against a real engine and a real Prometheus (Debian's package, started
 * here on 127.0.0.1 with a temporary config): the exporter is published on loopback only, runs with
 * no capabilities and a read-only root, keeps its bearer token out of `docker inspect`, passes
 * `promtool check metrics`, Prometheus answers a PromQL query for every metric for the test
 * containers, a shared network namespace is exported once, and a container that goes away leaves
 * no series behind after the next interval.
 */
import assert from 'node:assert/strict';
import { apiCallsFromInside } from '../support/api-calls.js';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { IMAGE_TAG, ROOT, cleanupRun, docker, requireEngine, runCli, startFixture, waitFor, freePort } from '../support/engine.js';

const BASE = `dockside/base:${IMAGE_TAG}`;
const TOKEN = `tok-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;

/** Every metric the exporter publishes, and a fixture it must be present for. */
const METRICS = [
  'container_cpu_usage_seconds_total',
  'container_cpu_user_seconds_total',
  'container_cpu_system_seconds_total',
  'container_cpu_cfs_periods_total',
  'container_cpu_cfs_throttled_periods_total',
  'container_cpu_cfs_throttled_seconds_total',
  'container_spec_cpu_quota_cores',
  'container_memory_usage_bytes',
  'container_memory_working_set_bytes',
  'container_memory_rss',
  'container_memory_cache',
  'container_memory_swap',
  'container_spec_memory_limit_bytes',
  'container_oom_events_total',
  'container_fs_reads_bytes_total',
  'container_fs_writes_bytes_total',
  'container_fs_reads_total',
  'container_fs_writes_total',
  'container_processes',
  'container_spec_pids_limit',
  'container_network_receive_bytes_total',
  'container_network_receive_packets_total',
  'container_network_receive_errors_total',
  'container_network_receive_packets_dropped_total',
  'container_network_transmit_bytes_total',
  'container_network_transmit_packets_total',
  'container_network_transmit_errors_total',
  'container_network_transmit_packets_dropped_total',
];

let tmp = '';
let exporterPort = 0;
let promPort = 0;
let prom: ChildProcess | undefined;
let load = '';
let joined = '';
let secretVolume = '';
let apiVolume = '';
let proxyId = '';
let exporterId = '';

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, timeout: 10_000, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.end();
  });
}

const scrape = () => get(exporterPort, '/metrics', { authorization: `Bearer ${TOKEN}` });

async function promQuery(q: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const r = await get(promPort, `/api/v1/query?query=${encodeURIComponent(q)}`);
  assert.equal(r.status, 200, r.body);
  return (JSON.parse(r.body) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }).data.result;
}

describe('dockside metrics serve: exporter scraped by a real Prometheus', { timeout: 300_000 }, () => {
  before(async () => {
    await requireEngine();
    const which = spawnSync('prometheus', ['--version'], { stdio: 'ignore' });
    if (which.status !== 0) throw new Error("this test needs Debian's prometheus package (prometheus, promtool); run `bash scripts/setup.sh`");
    tmp = mkdtempSync(join(tmpdir(), 'dockside-metrics-'));
    // cgroup v1 on kernels since 6.9 counts block I/O only on devices with a throttle rule (see
    // metrics.integration.test.ts): a generous one on the device holding Docker's data.
    const root = docker('info', '--format', '{{.DockerRootDir}}');
    const dev = docker('run', '--rm', '-v', `${root}:/r:ro`, BASE, 'sh', '-c', 'df --output=source /r | tail -1');
    load = startFixture('load', [
      '--memory',
      '256m',
      '--cpus',
      '1',
      '--pids-limit',
      '50',
      '--label',
      'com.example.tier=web',
      ...(dev.startsWith('/dev/') ? ['--device-write-bps', `${dev}:10gb`] : []),
      BASE,
      'sh',
      '-c',
      'i=0; while [ $i -lt 20 ]; do cat /etc/os-release > /dev/null; i=$((i+1)); done; exec sleep 600',
    ]);
    joined = startFixture('joined', ['--net', `container:${load}`, BASE, 'sleep', '600']);
    // Some real block I/O and traffic so every family has series for the fixture.
    docker('exec', load, 'dd', 'if=/dev/zero', 'of=/var/tmp/blob', 'bs=64k', 'count=32', 'oflag=direct', 'conv=fsync');
    exporterPort = await freePort();
    promPort = await freePort();
    writeFileSync(join(tmp, 'token'), `${TOKEN}\n`, { mode: 0o600 });
    await runCli(['metrics', 'stop']);
  });

  after(async () => {
    prom?.kill('SIGTERM');
    await runCli(['metrics', 'stop']);
    cleanupRun();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('starts on loopback with least privilege, and the token never shows in docker inspect', async () => {
    const r = await runCli(['metrics', 'serve', '--port', String(exporterPort), '--interval', '2s', '--token-file', join(tmp, 'token'), '--label', 'com.example.tier', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout) as { id: string; url: string; auth: boolean };
    assert.equal(info.url, `http://127.0.0.1:${exporterPort}/metrics`);
    assert.equal(info.auth, true);
    const inspect = docker('inspect', info.id);
    assert.ok(!inspect.includes(TOKEN), 'token absent from inspect');
    const [c] = JSON.parse(inspect) as Array<{ HostConfig: Record<string, unknown>; Mounts: Array<{ Destination: string; RW: boolean; Type: string; Name?: string }> }>;
    assert.ok(c);
    assert.deepEqual(c.HostConfig['CapDrop'], ['ALL']);
    assert.deepEqual(c.HostConfig['CapAdd'] ?? [], []);
    assert.equal(c.HostConfig['ReadonlyRootfs'], true);
    assert.equal(c.HostConfig['Privileged'], false);
    assert.notEqual(c.HostConfig['PidMode'], 'host');
    const bindings = c.HostConfig['PortBindings'] as Record<string, Array<{ HostIp: string; HostPort: string }>>;
    assert.deepEqual(bindings['9323/tcp'], [{ HostIp: '127.0.0.1', HostPort: String(exporterPort) }]);
    for (const m of c.Mounts.filter((x) => x.Type === 'bind')) assert.equal(m.RW, false, `${m.Destination} is mounted read-only`);
    // No engine socket: the exporter reaches the engine through its api-proxy's socket volume.
    assert.deepEqual(c.Mounts.map((m) => m.Destination).sort(), ['/host/proc', '/host/sys/fs/cgroup', '/run/dockside', '/run/dockside-api']);
    assert.ok(!c.Mounts.some((m) => m.Destination.endsWith('docker.sock')), 'no docker.sock mount in the exporter');
    secretVolume = c.Mounts.find((m) => m.Destination === '/run/dockside')?.Name ?? '';
    assert.ok(secretVolume, 'the token sits in an anonymous volume');
    apiVolume = c.Mounts.find((m) => m.Destination === '/run/dockside-api')?.Name ?? '';
    proxyId = docker('ps', '-aq', '--no-trunc', '--filter', `label=dockside.api-proxy.volume=${apiVolume}`, '--filter', 'label=dockside.role=metrics-api-proxy');
    assert.match(proxyId, /^[0-9a-f]{64}$/, 'one api-proxy serves it');
    exporterId = info.id;
    const logs = spawnSync('docker', ['logs', info.id], { encoding: 'utf8' });
    assert.ok(!(logs.stdout + logs.stderr).includes(TOKEN), 'token absent from logs');

    const again = await runCli(['metrics', 'serve', '--port', String(exporterPort + 1)]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already running/);
  });

  it('its api-proxy allows the calls it makes and refuses a container create', () => {
    const name = `dstest-metrics-escape-${Date.now().toString(36)}`;
    const out = apiCallsFromInside(exporterId, [
      { method: 'GET', path: '/v1.41/containers/json' },
      { method: 'GET', path: '/v1.41/events?since=0&until=1' },
      { method: 'POST', path: `/v1.41/containers/create?name=${name}`, body: JSON.stringify({ Image: BASE, Cmd: ['true'] }) },
      { method: 'GET', path: '/v1.41/images/json' },
    ]);
    const statuses = JSON.stringify(out.map((o) => o.status));
    const refusal = out[2]?.body;
    assert.deepEqual(JSON.parse(statuses ?? ''), [200, 200, 403, 403]);
    assert.match(refusal ?? '', /POST \/v1\.41\/containers\/create is not allowed for metrics/);
    assert.equal(docker('ps', '-aq', '--filter', `name=${name}`), '', 'nothing was created');
  });

  it('/metrics wants the token, serves the text format, and promtool check metrics passes', async () => {
    assert.equal((await get(exporterPort, '/metrics')).status, 401);
    assert.equal((await get(exporterPort, '/metrics', { authorization: 'Bearer wrong' })).status, 401);
    assert.equal((await get(exporterPort, '/healthz')).status, 200);
    const r = await waitFor(
      async () => {
        const s = await scrape();
        return s.body.includes(`name="${load}"`) && s.body.includes('container_fs_writes_bytes_total') ? s : undefined;
      },
      'the fixture in /metrics',
      20_000,
      250,
    );
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: r.body, encoding: 'utf8' });
    assert.equal(check.status, 0, `promtool: ${check.stdout}${check.stderr}`);
    assert.equal((check.stdout + check.stderr).trim(), '', 'promtool has no complaints');
    // The cgroup v2 fixture trees, rendered by the same code, pass promtool too.
    const { collect, createCollector, renderExposition } = await import('@dockside/metrics');
    for (const tree of ['v2-systemd', 'v2-cgroupfs']) {
      const dir = join(ROOT, 'packages/metrics/fixtures', tree);
      const state = createCollector({ cgroupRoot: join(dir, 'sys/fs/cgroup'), procRoot: join(dir, 'proc') });
      assert.ok(state);
      const ids = ['a1', 'b2', 'c3'].map((x) => x.repeat(32));
      const col = collect(
        state,
        ids.map((id, i) => ({ id, name: `c${i}`, image: 'img', labels: {} })),
      );
      assert.ok(col.containers.length > 0);
      const v2 = spawnSync('promtool', ['check', 'metrics'], { input: renderExposition(col), encoding: 'utf8' });
      assert.equal(v2.status, 0, `${tree}: ${v2.stdout}${v2.stderr}`);
    }
    assert.match(
      r.body,
      new RegExp(
        `container_memory_working_set_bytes\\{id="/docker/[0-9a-f]{64}",image="${BASE.replace(/[/.]/g, '\\$&')}",name="${load}",container_label_com_example_tier="web"\\} \\d+`,
      ),
    );
  });

  it('a real Prometheus scrapes it and answers a PromQL query for every metric', async () => {
    writeFileSync(
      join(tmp, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        'scrape_configs:',
        '  - job_name: dockside',
        '    authorization:',
        `      credentials_file: ${join(tmp, 'token')}`,
        '    static_configs:',
        `      - targets: ['127.0.0.1:${exporterPort}']`,
        '',
      ].join('\n'),
    );
    prom = spawn('prometheus', [`--config.file=${join(tmp, 'prometheus.yml')}`, `--storage.tsdb.path=${join(tmp, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`], {
      stdio: 'ignore',
    });
    await waitFor(
      () =>
        get(promPort, '/-/ready')
          .then((r) => r.status === 200)
          .catch(() => false),
      'Prometheus to be ready',
      30_000,
      250,
    );
    await waitFor(async () => (await promQuery(`up{job="dockside"}`))[0]?.value[1] === '1', 'Prometheus to scrape the exporter', 30_000, 500);
    const missing: string[] = [];
    for (const m of METRICS) {
      const res = await waitFor(
        async () => {
          const r = await promQuery(`${m}{name="${load}"}`);
          return r.length ? r : undefined;
        },
        `${m} for ${load}`,
        15_000,
        500,
      ).catch(() => []);
      if (!res.length) missing.push(m);
      else assert.equal(res[0]?.metric['container_label_com_example_tier'], 'web', `${m} carries the allowed label`);
    }
    assert.deepEqual(missing, [], 'every metric answers for the fixture');
    const limit = await promQuery(`container_spec_memory_limit_bytes{name="${load}"}`);
    assert.equal(Number(limit[0]?.value[1]), 256 * 1024 * 1024);
    const quota = await promQuery(`container_spec_cpu_quota_cores{name="${load}"}`);
    assert.equal(Number(quota[0]?.value[1]), 1);
    const writes = await promQuery(`sum(container_fs_writes_bytes_total{name="${load}"})`);
    assert.ok(Number(writes[0]?.value[1]) >= 1024 * 1024, `write bytes ${JSON.stringify(writes)}`);
    // The joined container has CPU and memory of its own, but its network is the load's.
    assert.ok((await promQuery(`container_cpu_usage_seconds_total{name="${joined}"}`)).length === 1);
    assert.deepEqual(await promQuery(`container_network_receive_bytes_total{name="${joined}"}`), []);
  });

  it('a container that appears is picked up from events; one that vanishes leaves no series', async () => {
    const eph = startFixture('ephemeral', [BASE, 'sleep', '600']);
    await waitFor(async () => (await scrape()).body.includes(`name="${eph}"`), 'the new container in /metrics', 10_000, 200);
    docker('rm', '-f', eph);
    await waitFor(async () => !(await scrape()).body.includes(`name="${eph}"`), 'its series to go', 6_000, 200);
    const body = (await scrape()).body;
    assert.match(body, /^dockside_metrics_collection_errors_total 0$/m);
    assert.equal((await get(exporterPort, '/healthz')).status, 200);
  });

  it('metrics stop removes it', async () => {
    const r = await runCli(['metrics', 'stop']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /removed metrics exporter/);
    assert.equal(docker('ps', '-aq', '--filter', 'label=dockside.metrics.service=true'), '');
    await assert.rejects(get(exporterPort, '/healthz'));
    assert.equal(docker('volume', 'ls', '-q', '--filter', `name=${secretVolume}`), '', 'the token volume went with it');
    assert.equal(docker('ps', '-aq', '--filter', `id=${proxyId}`), '', 'its api-proxy went with it');
    assert.equal(docker('volume', 'ls', '-q', '--filter', `name=${apiVolume}`), '', 'and the proxy socket volume');
    const again = await runCli(['metrics', 'stop']);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /no metrics exporter running/);
  });
});
