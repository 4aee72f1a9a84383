#!/usr/bin/env node
// `npm run bench:metrics`: dockside's cgroup collector against `docker stats`, in one run.
//   1. 100 idle containers (labelled, removed at the end, also on Ctrl-C).
//   2. One full collection of them by dockside's collector (in process, the same code the CLI and
//      the exporter run) vs `docker stats --no-stream` for the same containers. Also the whole
//      `dockside metrics` CLI (which takes two readings --sample apart, like docker stats does).
//      Target: at least 20x faster.
//   3. The exporter sidecar (`dockside metrics serve --interval 5s`): /metrics scrape latency
//      p50/p99 over 200 scrapes (target p99 < 100 ms).
//   4. The exporter's own CPU and memory over 60 s at a 5 s interval, scraped every 5 s like a
//      Prometheus would (targets: < 2% of one core, < 80 MiB), read from its cgroup.
// Env: DOCKSIDE_BENCH_CONTAINERS (default 100), DOCKSIDE_BENCH_WINDOW_S (default 60).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(root, 'packages/cli/bin/run.js');
const { version } = (await import(join(root, 'packages/cli/package.json'), { with: { type: 'json' } })).default;
const TAG = process.env.DOCKSIDE_IMAGE_TAG || version;
const BASE = `dockside/base:${TAG}`;
const N = Number(process.env.DOCKSIDE_BENCH_CONTAINERS ?? 100);
const WINDOW_S = Number(process.env.DOCKSIDE_BENCH_WINDOW_S ?? 60);
const RUN = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const LABEL = `dockside.bench=metrics-${RUN}`;
const metrics = await import(join(root, 'packages/metrics/dist/index.js'));
const engineLib = await import(join(root, 'packages/engine/dist/index.js'));

const log = (m) => process.stderr.write(`bench:metrics: ${m}\n`);
function docker(...args) {
  const r = spawnSync('docker', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`docker ${args.slice(0, 3).join(' ')} failed: ${r.stderr.trim()}`);
  return r.stdout.trim();
}
function dockerAsync(args) {
  return new Promise((resolve, reject) => {
    const c = spawn('docker', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d) => (err += d));
    c.on('error', reject);
    c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`docker ${args[0]}: ${err.trim()}`))));
  });
}
const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
function get(port, path, agent) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, timeout: 10_000 }, (res) => {
      let n = 0;
      res.on('data', (c) => (n += c.length));
      res.on('end', () => resolve({ status: res.statusCode, bytes: n }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

let exporterStarted = false;
async function cleanup() {
  if (exporterStarted) spawnSync(process.execPath, [CLI, 'metrics', 'stop'], { stdio: 'ignore' });
  const ids = docker('ps', '-aq', '--filter', `label=${LABEL}`).split('\n').filter(Boolean);
  for (let i = 0; i < ids.length; i += 50) spawnSync('docker', ['rm', '-f', ...ids.slice(i, i + 50)], { stdio: 'ignore' });
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => void cleanup().finally(() => process.exit(130)));

try {
  if (spawnSync('docker', ['image', 'inspect', BASE], { stdio: 'ignore' }).status !== 0) throw new Error(`${BASE} is missing; run bash scripts/setup.sh`);
  const running = docker('ps', '-q', '--filter', 'label=dockside.metrics.service=true');
  if (running) throw new Error('a metrics exporter is already running on this engine; stop it first (dockside metrics stop)');

  // 1. N idle containers, created 4 at a time.
  log(`starting ${N} idle containers (label ${LABEL})`);
  const t0 = Date.now();
  const names = Array.from({ length: N }, (_, i) => `dsbench-${RUN}-${String(i).padStart(3, '0')}`);
  for (let i = 0; i < names.length; i += 4) {
    await Promise.all(names.slice(i, i + 4).map((n) => dockerAsync(['run', '-d', '--name', n, '--label', LABEL, '--network', 'none', BASE, 'sleep', '3600'])));
  }
  log(`started in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  // 2. One full collection: dockside (in process) vs docker stats --no-stream.
  const engine = await engineLib.connectEngine();
  const state = metrics.localCollector(engine);
  const briefs = await engineLib.listRunningContainers(engine, [LABEL]);
  const targets = briefs.map(metrics.toTarget);
  if (targets.length !== N) throw new Error(`expected ${N} containers, listed ${targets.length}`);
  metrics.collect(state, targets); // first pass locates every cgroup (cached afterwards, as in the exporter)
  const collectMs = [];
  for (let i = 0; i < 20; i++) {
    const c = metrics.collect(state, targets);
    if (c.containers.length !== N) throw new Error(`collected ${c.containers.length} of ${N}`);
    collectMs.push(c.durationMs);
  }
  const cold = metrics.collect(metrics.localCollector(engine), targets).durationMs;
  const cliMs = [];
  for (let i = 0; i < 3; i++) {
    const s = performance.now();
    const r = spawnSync(process.execPath, [CLI, 'metrics', ...names, '--json', '--sample', '1s'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`dockside metrics failed: ${r.stderr}`);
    cliMs.push(performance.now() - s);
  }
  const statsMs = [];
  for (let i = 0; i < 3; i++) {
    const s = performance.now();
    const r = spawnSync('docker', ['stats', '--no-stream', ...names], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`docker stats failed: ${r.stderr}`);
    statsMs.push(performance.now() - s);
  }

  // 3. The exporter: scrape latency.
  const port = await freePort();
  log(`starting the exporter on 127.0.0.1:${port} (interval 5s)`);
  const sv = spawnSync(process.execPath, [CLI, 'metrics', 'serve', '--port', String(port), '--interval', '5s', '--json'], { encoding: 'utf8' });
  if (sv.status !== 0) throw new Error(`metrics serve failed: ${sv.stderr}`);
  exporterStarted = true;
  const { id: exporterId } = JSON.parse(sv.stdout);
  await sleep(1500);
  const scrapeMs = [];
  let bodyBytes = 0;
  for (let i = 0; i < 200; i++) {
    const s = performance.now();
    const r = await get(port, '/metrics');
    scrapeMs.push(performance.now() - s);
    if (r.status !== 200) throw new Error(`scrape answered ${r.status}`);
    bodyBytes = r.bytes;
  }

  // 4. The exporter's own CPU and memory over the window, scraped every 5 s.
  log(`measuring the exporter's CPU and memory over ${WINDOW_S} s`);
  const self = () => metrics.collect(state, [{ id: exporterId, name: 'exporter', image: '', labels: {} }]).containers[0];
  const first = self();
  if (!first) throw new Error('cannot read the exporter cgroup');
  const tStart = performance.now();
  let maxWs = first.memory.workingSet;
  let maxRss = first.memory.rss;
  while (performance.now() - tStart < WINDOW_S * 1000) {
    await sleep(5000);
    await get(port, '/metrics');
    const s = self();
    maxWs = Math.max(maxWs, s.memory.workingSet);
    maxRss = Math.max(maxRss, s.memory.rss);
  }
  const last = self();
  const cpuPct = ((last.cpu.usageSeconds - first.cpu.usageSeconds) / ((performance.now() - tStart) / 1000)) * 100;

  const MiB = 1024 * 1024;
  const p50c = q(collectMs, 0.5);
  const statsMed = q(statsMs, 0.5);
  const rows = [
    ['dockside: one full collection (in process, warm)', `${p50c.toFixed(1)} ms`, `p90 ${q(collectMs, 0.9).toFixed(1)} ms; first ever (path lookup) ${cold.toFixed(1)} ms`, ''],
    ['docker stats --no-stream (same containers)', `${statsMed.toFixed(0)} ms`, `${statsMs.map((x) => x.toFixed(0)).join(' / ')} ms`, ''],
    ['  ratio: docker stats / dockside collection', `${(statsMed / p50c).toFixed(0)}x`, '', `>= 20x: ${statsMed / p50c >= 20 ? 'yes' : 'NO'}`],
    ['dockside metrics CLI (2 readings 1 s apart)', `${q(cliMs, 0.5).toFixed(0)} ms`, 'process start + list + 2 collections + 1 s sample', ''],
    ['  ratio: docker stats / dockside metrics CLI', `${(statsMed / q(cliMs, 0.5)).toFixed(1)}x`, '', ''],
    ['/metrics scrape latency p50', `${q(scrapeMs, 0.5).toFixed(1)} ms`, `${(bodyBytes / 1024).toFixed(0)} KiB body, 200 scrapes`, ''],
    ['/metrics scrape latency p99', `${q(scrapeMs, 0.99).toFixed(1)} ms`, '', `< 100 ms: ${q(scrapeMs, 0.99) < 100 ? 'yes' : 'NO'}`],
    [`exporter CPU over ${WINDOW_S} s (interval 5s)`, `${cpuPct.toFixed(2)} % of a core`, '', `< 2%: ${cpuPct < 2 ? 'yes' : 'NO'}`],
    ['exporter memory (max working set)', `${(maxWs / MiB).toFixed(1)} MiB`, `max RSS ${(maxRss / MiB).toFixed(1)} MiB`, `< 80 MiB: ${maxWs < 80 * MiB ? 'yes' : 'NO'}`],
  ];
  const head = ['measure', 'value', 'detail', 'target'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  console.log(`${N} idle containers, cgroup v${state.layout.version}, ${new Date().toISOString()}`);
  for (const line of [head, ...rows])
    console.log(
      line
        .map((c, i) => c.padEnd(w[i]))
        .join('  ')
        .trimEnd(),
    );
} catch (err) {
  console.error(`bench:metrics: ${err.message}`);
  process.exitCode = 1;
} finally {
  log('removing the benchmark containers and the exporter');
  await cleanup();
}
