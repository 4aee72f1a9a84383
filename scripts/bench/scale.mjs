#!/usr/bin/env node
// `npm run bench:scale`: issue #26's "Scale on one host", three parts (DOCKSIDE_BENCH_PARTS, default
// metrics,logs,cron). Every container it makes is labelled and removed at the end, also on Ctrl-C.
//   metrics: idle `sleep` containers from dockside/base, first DOCKSIDE_BENCH_SMALL (20) then
//     DOCKSIDE_BENCH_CONTAINERS (200). At each size a fresh `dockside metrics serve --interval 5s`:
//     /metrics scrape time p50/p99 over DOCKSIDE_BENCH_SCRAPES (100) scrapes (goal p99 < 100 ms), its
//     CPU and peak working set (from its cgroup) over DOCKSIDE_BENCH_WINDOW_S (30) s scraped every 5 s;
//     the cost per container is the slope between the two sizes. At the large size, `dockside ps`
//     and `dockside top --count 1` wall time next to `docker ps` (median of 3).
//   logs: DOCKSIDE_BENCH_LOG_CONTAINERS (100) containers each write DOCKSIDE_BENCH_LOG_RATE (100)
//     numbered lines/s for DOCKSIDE_BENCH_LOG_S (45) s into one `dockside logs ship --to file://`.
//     The bench tails the sink file every 50 ms: every (container, number) must arrive once
//     (duplicates and losses counted, goal 0), lag = arrival in the file - the line's Docker
//     timestamp (p50/p99, goal p99 < 1 s), shipper peak working set (goal < 150 MiB).
//   cron: DOCKSIDE_BENCH_JOBS (1000) jobs in one `dockside cron start --config` (exec `true` into
//     DOCKSIDE_BENCH_CRON_TARGETS (4) containers), job i at second i % 60 of every minute, for
//     DOCKSIDE_BENCH_CRON_S (120) s. From `dockside cron history --json`: run start - slot
//     p50/p99 (goal p99 < 100 ms; a K8s CronJob controller looks every 10 s), slots that never ran,
//     scheduler peak working set.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(root, 'packages/cli/bin/run.js');
const { version } = (await import(join(root, 'packages/cli/package.json'), { with: { type: 'json' } })).default;
const TAG = process.env.DOCKSIDE_IMAGE_TAG || version;
const BASE = `dockside/base:${TAG}`;
const env = (k, d) => Number(process.env[k] ?? d);
const PARTS = (process.env.DOCKSIDE_BENCH_PARTS ?? 'metrics,logs,cron')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const SMALL = env('DOCKSIDE_BENCH_SMALL', 20);
const LARGE = env('DOCKSIDE_BENCH_CONTAINERS', 200);
const SCRAPES = env('DOCKSIDE_BENCH_SCRAPES', 100);
const WINDOW_S = env('DOCKSIDE_BENCH_WINDOW_S', 30);
const LOG_N = env('DOCKSIDE_BENCH_LOG_CONTAINERS', 100);
const LOG_RATE = env('DOCKSIDE_BENCH_LOG_RATE', 100);
const LOG_S = env('DOCKSIDE_BENCH_LOG_S', 45);
const JOBS = env('DOCKSIDE_BENCH_JOBS', 1000);
const CRON_TARGETS = env('DOCKSIDE_BENCH_CRON_TARGETS', 4);
const CRON_S = env('DOCKSIDE_BENCH_CRON_S', 120);
const RUN = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const LABEL = `dockside.bench=scale-${RUN}`;
const SHIP_NAME = `bench-scale-${RUN}`;
const CRON_NAME = `bench-${RUN}`;
const MiB = 1024 * 1024;
const metricsLib = await import(join(root, 'packages/metrics/dist/index.js'));
const engineLib = await import(join(root, 'packages/engine/dist/index.js'));

const log = (m) => process.stderr.write(`bench:scale: ${m}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const q = (xs, p) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] : NaN);
const med = (xs) => q(xs, 0.5);
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
function cli(args) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`dockside ${args.slice(0, 3).join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}
function timed(cmd, args, runs = 3) {
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.status !== 0) throw new Error(`${cmd === process.execPath ? 'dockside' : cmd} ${args.slice(1).join(' ')}: ${r.stderr.trim()}`);
    ms.push(performance.now() - s);
  }
  return med(ms);
}
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
function get(port, path) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 10_000 }, (res) => {
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

/** Starts `names` labelled containers running `cmd`, 4 at a time. */
async function startContainers(names, cmd, extra = []) {
  for (let i = 0; i < names.length; i += 4) {
    await Promise.all(names.slice(i, i + 4).map((n) => dockerAsync(['run', '-d', '--name', n, '--label', LABEL, '--network', 'none', ...extra, BASE, ...cmd])));
  }
}

/** CPU seconds and working set of a container, read from its cgroup by dockside's own collector. */
let collector;
async function cgroupOf(id) {
  collector ??= metricsLib.localCollector(await engineLib.connectEngine());
  return () => metricsLib.collect(collector, [{ id, name: 'x', image: '', labels: {} }]).containers[0];
}
/** Samples a container's working set every second until stopped; returns the peak. */
async function peakMemory(id) {
  const read = await cgroupOf(id);
  let peak = 0;
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      const s = read();
      if (s) peak = Math.max(peak, s.memory.workingSet);
      await sleep(1000);
    }
  })();
  return async () => {
    stop = true;
    await loop;
    return peak;
  };
}

const rows = [];
const row = (measure, value, detail = '', target = '') => rows.push([measure, value, detail, target]);
const yes = (ok) => (ok ? 'yes' : 'NO');

let exporterStarted = false;
let shipperStarted = false;
let cronStarted = false;
let tmp;
async function cleanup() {
  if (exporterStarted) spawnSync(process.execPath, [CLI, 'metrics', 'stop'], { stdio: 'ignore' });
  if (shipperStarted) spawnSync(process.execPath, [CLI, 'logs', 'stop', '--name', SHIP_NAME, '--forget'], { stdio: 'ignore' });
  if (cronStarted) {
    spawnSync(process.execPath, [CLI, 'cron', 'stop', '--name', CRON_NAME], { stdio: 'ignore' });
    spawnSync('docker', ['volume', 'rm', `dockside-cron-state-${CRON_NAME}`], { stdio: 'ignore' });
  }
  const ids = spawnSync('docker', ['ps', '-aq', '--filter', `label=${LABEL}`], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean);
  for (let i = 0; i < ids.length; i += 50) spawnSync('docker', ['rm', '-f', ...ids.slice(i, i + 50)], { stdio: 'ignore' });
  if (tmp) await rm(tmp, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => void cleanup().finally(() => process.exit(130)));

// ---- 1. metrics: 20 then 200 idle containers ----
async function partMetrics() {
  const running = docker('ps', '-q', '--filter', 'label=dockside.metrics.service=true');
  if (running) throw new Error('a metrics exporter is already running on this engine; stop it first (dockside metrics stop)');
  const names = Array.from({ length: LARGE }, (_, i) => `dsbench-scale-${RUN}-idle-${String(i).padStart(3, '0')}`);
  const at = {};
  let started = 0;
  for (const size of [...new Set([SMALL, LARGE])]) {
    const t0 = Date.now();
    await startContainers(names.slice(started, size), ['sleep', '3600']);
    started = size;
    const onEngine = docker('ps', '-q').split('\n').filter(Boolean).length;
    log(`metrics: ${size} idle containers (${onEngine} running on the engine), started in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const port = await freePort();
    const info = JSON.parse(cli(['metrics', 'serve', '--port', String(port), '--interval', '5s', '--json']));
    exporterStarted = true;
    const read = await cgroupOf(info.id);
    await sleep(6000); // the first collection after start
    const scrapeMs = [];
    let bytes = 0;
    for (let i = 0; i < SCRAPES; i++) {
      const s = performance.now();
      const r = await get(port, '/metrics');
      scrapeMs.push(performance.now() - s);
      if (r.status !== 200) throw new Error(`scrape answered ${r.status}`);
      bytes = r.bytes;
    }
    const first = read();
    if (!first) throw new Error('cannot read the exporter cgroup');
    let peak = first.memory.workingSet;
    const tStart = performance.now();
    while (performance.now() - tStart < WINDOW_S * 1000) {
      await sleep(5000);
      await get(port, '/metrics');
      peak = Math.max(peak, read().memory.workingSet);
    }
    const last = read();
    const cpuPct = ((last.cpu.usageSeconds - first.cpu.usageSeconds) / ((performance.now() - tStart) / 1000)) * 100;
    at[size] = { onEngine, p50: q(scrapeMs, 0.5), p99: q(scrapeMs, 0.99), bytes, cpuPct, peak };
    row(`${size} containers (${onEngine} on the engine): /metrics scrape p50`, `${at[size].p50.toFixed(1)} ms`, `${(bytes / 1024).toFixed(0)} KiB body, ${SCRAPES} scrapes`);
    row(`  scrape p99`, `${at[size].p99.toFixed(1)} ms`, '', `< 100 ms: ${yes(at[size].p99 < 100)}`);
    row(`  exporter CPU over ${WINDOW_S} s (interval 5s, scrape every 5 s)`, `${cpuPct.toFixed(2)} % of a core`);
    row(`  exporter memory (peak working set)`, `${(peak / MiB).toFixed(1)} MiB`);
    if (size === LARGE) {
      const dps = timed('docker', ['ps']);
      const ps = timed(process.execPath, [CLI, 'ps']);
      const top = timed(process.execPath, [CLI, 'top', '--count', '1']);
      row(`  docker ps`, `${dps.toFixed(0)} ms`, 'median of 3');
      row(`  dockside ps`, `${ps.toFixed(0)} ms`, `${(ps / dps).toFixed(1)}x docker ps`);
      row(`  dockside top --count 1`, `${top.toFixed(0)} ms`, `${(top / dps).toFixed(1)}x docker ps`);
    }
    cli(['metrics', 'stop']);
    exporterStarted = false;
  }
  if (SMALL !== LARGE) {
    const a = at[SMALL];
    const b = at[LARGE];
    const dn = b.onEngine - a.onEngine;
    row(
      'cost per container (slope between the sizes)',
      `${(((b.p50 - a.p50) / dn) * 1000).toFixed(0)} us scrape`,
      `${(((b.cpuPct - a.cpuPct) / dn) * 1000).toFixed(1)} milli-% CPU, ${((b.peak - a.peak) / dn / 1024).toFixed(0)} KiB memory, ${((b.bytes - a.bytes) / dn / 1024).toFixed(1)} KiB body`,
    );
  }
  log('metrics: removing the idle containers');
  const ids = docker('ps', '-aq', '--filter', `label=${LABEL}`).split('\n').filter(Boolean);
  for (let i = 0; i < ids.length; i += 50) spawnSync('docker', ['rm', '-f', ...ids.slice(i, i + 50)], { stdio: 'ignore' });
}

// ---- 2. logs: 100 containers x 100 lines/s into one shipper ----
/** bash without forks: waits for /go/start, writes RATE numbered lines/s for SECONDS, then idles. */
function writerScript(rate, seconds) {
  return [
    'mkfifo /tmp/f; exec 3<>/tmp/f',
    'while [ ! -e /go/start ]; do read -t 0.05 -u 3; done',
    `R=${rate}; T=$((R*${seconds})); i=0; t0=\${EPOCHREALTIME/./}`,
    'while [ $i -lt $T ]; do now=${EPOCHREALTIME/./}; due=$(( (now-t0)*R/1000000 )); [ $due -gt $T ] && due=$T; b=""',
    '  while [ $i -lt $due ]; do i=$((i+1)); b+="$i"$\'\\n\'; done',
    '  [ -n "$b" ] && printf "%s" "$b"; read -t 0.02 -u 3; done',
    'exec sleep 3600',
  ].join('\n');
}

/** RFC 3339 with up to 9 fractional digits to ms since the epoch. */
function tsMs(t) {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z/.exec(t);
  return m ? Date.parse(`${m[1]}Z`) + Number(`0.${m[2] ?? '0'}`) * 1000 : NaN;
}

async function partLogs() {
  tmp ??= await mkdtemp(join(tmpdir(), 'dockside-bench-scale-'));
  const go = join(tmp, 'go');
  const sink = join(tmp, 'sink');
  mkdirSync(go, { recursive: true });
  const names = Array.from({ length: LOG_N }, (_, i) => `dsbench-scale-${RUN}-log-${String(i).padStart(3, '0')}`);
  const perContainer = LOG_RATE * LOG_S;
  const total = perContainer * LOG_N;
  log(`logs: starting ${LOG_N} writers (${LOG_RATE} lines/s each for ${LOG_S} s, ${total.toLocaleString()} lines)`);
  await startContainers(names, ['bash', '-c', writerScript(LOG_RATE, LOG_S)], ['-v', `${go}:/go:ro`]);
  cli(['logs', 'ship', ...names, '--to', `file://${sink}`, '--name', SHIP_NAME]);
  shipperStarted = true;
  const shipperId = docker('ps', '-q', '--no-trunc', '--filter', `label=dockside.logship.name=${SHIP_NAME}`).split('\n')[0];
  if (!shipperId) throw new Error('cannot find the shipper container');
  const stopMem = await peakMemory(shipperId);
  await sleep(2000);
  const seen = new Map(names.map((n) => [n, new Uint8Array(perContainer + 1)]));
  let dup = 0;
  let foreign = 0;
  let got = 0;
  const lags = [];
  const load0 = loadavg()[0];
  const t0 = Date.now();
  writeFileSync(join(go, 'start'), '');
  const file = join(sink, 'logs.ndjson');
  let fh;
  let pos = 0;
  let rest = '';
  let lastNew = Date.now();
  let lastProgress = Date.now();
  const buf = Buffer.alloc(8 * MiB);
  for (;;) {
    fh ??= await open(file, 'r').catch(() => undefined);
    if (fh) {
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) break;
        const now = Date.now();
        pos += bytesRead;
        const text = rest + buf.toString('utf8', 0, bytesRead);
        const lines = text.split('\n');
        rest = lines.pop();
        for (const l of lines) {
          const r = JSON.parse(l);
          const s = seen.get(r.container);
          const n = Number(r.message);
          if (!s || !(n >= 1 && n <= perContainer)) {
            foreign++;
            continue;
          }
          if (s[n]) dup++;
          else got++;
          s[n] = 1;
          lags.push(now - tsMs(r.time));
        }
        lastNew = now;
      }
    }
    const now = Date.now();
    if (now - lastProgress >= 10_000) {
      lastProgress = now;
      log(`logs: ${((now - t0) / 1000).toFixed(0)} s: ${got.toLocaleString()} of ${total.toLocaleString()} lines in the sink`);
    }
    if (got >= total && now - lastNew > 3000) break; // a further 3 s to catch late duplicates
    if (now - t0 > LOG_S * 1000 + 120_000 || (now - t0 > LOG_S * 1000 && now - lastNew > 60_000)) break;
    await sleep(50);
  }
  const seconds = (Date.now() - t0) / 1000;
  await fh?.close();
  const peak = await stopMem();
  // The shipper's own figures, to tell a stall from a loss.
  const st = JSON.parse(cli(['logs', 'status', '--name', SHIP_NAME, '--json']))[0]?.status;
  const sum = (k) => (st?.targets ?? []).reduce((a, t) => a + (t[k] ?? 0), 0);
  const shipperSays = st
    ? `shipper: ${st.sinkStats?.sent} sent, ${st.queued} queued, ${(st.targets ?? []).filter((t) => t.following).length}/${LOG_N} following, ${sum('errors')} errors, ${sum('gaps')} gaps`
    : 'shipper: no figures';
  if (got < total) log(`logs: ${shipperSays}; its last lines:\n${spawnSync('docker', ['logs', '--tail', '8', shipperId], { encoding: 'utf8' }).stderr}`);
  cli(['logs', 'stop', '--name', SHIP_NAME, '--forget']);
  shipperStarted = false;
  const lost = total - got;
  row(
    `${LOG_N} containers x ${LOG_RATE} lines/s for ${LOG_S} s into one shipper: lines shipped`,
    `${got.toLocaleString()} of ${total.toLocaleString()}`,
    `${seconds.toFixed(0)} s until the last line; load ${load0.toFixed(1)} -> ${loadavg()[0].toFixed(1)}`,
  );
  row('  lines lost', String(lost), shipperSays, `0: ${yes(lost === 0)}`);
  row('  lines duplicated', String(dup), foreign ? `${foreign} records not from the writers` : '', `0: ${yes(dup === 0)}`);
  row('  lag p50 (arrival in the file - Docker timestamp)', `${q(lags, 0.5).toFixed(0)} ms`, 'file read every 50 ms');
  row('  lag p99', `${q(lags, 0.99).toFixed(0)} ms`, `max ${lags.reduce((a, b) => Math.max(a, b), -Infinity).toFixed(0)} ms`, `< 1000 ms: ${yes(q(lags, 0.99) < 1000)}`);
  row('  shipper memory (peak working set)', `${(peak / MiB).toFixed(1)} MiB`, 'sampled every 1 s', `< 150 MiB: ${yes(peak < 150 * MiB)}`);
  log('logs: removing the writers');
  const ids = docker('ps', '-aq', '--filter', `label=${LABEL}`).split('\n').filter(Boolean);
  for (let i = 0; i < ids.length; i += 50) spawnSync('docker', ['rm', '-f', ...ids.slice(i, i + 50)], { stdio: 'ignore' });
}

// ---- 3. cron: 1,000 jobs in one scheduler ----
async function partCron() {
  tmp ??= await mkdtemp(join(tmpdir(), 'dockside-bench-scale-'));
  const targets = Array.from({ length: CRON_TARGETS }, (_, i) => `dsbench-scale-${RUN}-cron-${i}`);
  await startContainers(targets, ['sleep', '3600']);
  const jobs = Array.from({ length: JOBS }, (_, i) => ({ id: `${targets[i % CRON_TARGETS]}/j${i}`, second: i % 60 }));
  const yaml = `jobs:\n${jobs.map((j) => `  ${j.id}:\n    schedule: "${j.second} * * * * *"\n    exec: "true"\n`).join('')}`;
  const config = join(tmp, 'jobs.yaml');
  writeFileSync(config, yaml);
  log(`cron: ${JOBS} jobs (second i % 60 of every minute) into ${CRON_TARGETS} containers for ${CRON_S} s`);
  const info = JSON.parse(cli(['cron', 'start', '--name', CRON_NAME, '--config', config, '--json']));
  cronStarted = true;
  const schedId = docker('inspect', '--format', '{{.Id}}', info.container);
  const stopMem = await peakMemory(schedId);
  const load0 = loadavg()[0];
  // Slots counted: whole seconds from 3 s after the start to 10 s before the end of the window.
  const from = Math.ceil(Date.now() / 1000) * 1000 + 3000;
  await sleep(CRON_S * 1000);
  const until = Date.now() - 10_000;
  const peak = await stopMem();
  const hist = JSON.parse(cli(['cron', 'history', '--name', CRON_NAME, '--limit', '10000', '--json']));
  cli(['cron', 'stop', '--name', CRON_NAME]);
  const want = new Set();
  for (let t = from; t <= until; t += 1000) {
    const sec = new Date(t).getUTCSeconds();
    for (const j of jobs) if (j.second === sec) want.add(`${j.id}@${t}`);
  }
  const startLag = [];
  const endLag = [];
  const statuses = {};
  const reasons = {};
  let dupRuns = 0;
  const ran = new Set();
  for (const h of hist) {
    if (h.trigger && h.trigger !== 'schedule') continue;
    const slot = Date.parse(h.scheduled);
    if (!(slot >= from && slot <= until)) continue;
    const key = `${h.job}@${slot}`;
    statuses[h.status] = (statuses[h.status] ?? 0) + 1;
    if (h.status === 'failed') {
      const why = (h.reason ?? h.tail?.trim().split('\n').pop() ?? `exit ${h.exitCode}`).slice(0, 60);
      reasons[why] = (reasons[why] ?? 0) + 1;
    }
    if (h.status === 'missed' || h.status === 'skipped') continue;
    if (ran.has(key)) dupRuns++;
    ran.add(key);
    startLag.push(Date.parse(h.start) - slot);
    if (h.end) endLag.push(Date.parse(h.end) - slot);
  }
  const never = [...want].filter((k) => !ran.has(k)).length;
  row(
    `${JOBS} jobs in one scheduler (exec true, ${CRON_TARGETS} targets): runs in ${((until - from) / 1000).toFixed(0)} s`,
    `${ran.size} of ${want.size} slots started`,
    `${Object.entries(statuses)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}; load ${load0.toFixed(1)} -> ${loadavg()[0].toFixed(1)}`,
  );
  row('  slots that never started (missed, skipped, absent) / ran twice', `${never} / ${dupRuns}`, '', `0 / 0: ${yes(never === 0 && dupRuns === 0)}`);
  const top = Object.entries(reasons).sort((a, b) => b[1] - a[1])[0];
  if (top) row('  failed runs, most common reason', `${top[1]} x`, top[0]);
  row('  run start - slot p50', `${q(startLag, 0.5).toFixed(0)} ms`, `${(JOBS / 60).toFixed(0)} jobs share each second`);
  row(
    '  run start - slot p99',
    `${q(startLag, 0.99).toFixed(0)} ms`,
    `max ${startLag.reduce((a, b) => Math.max(a, b), -Infinity).toFixed(0)} ms; K8s CronJob controller period 10,000 ms (${(10_000 / q(startLag, 0.99)).toFixed(0)}x)`,
    `< 100 ms: ${yes(q(startLag, 0.99) < 100)}`,
  );
  row('  run end (exec true done) - slot p50/p99', `${q(endLag, 0.5).toFixed(0)} / ${q(endLag, 0.99).toFixed(0)} ms`);
  row('  scheduler memory (peak working set)', `${(peak / MiB).toFixed(1)} MiB`, 'sampled every 1 s');
}

try {
  const unknown = PARTS.filter((p) => !['metrics', 'logs', 'cron'].includes(p));
  if (unknown.length) throw new Error(`unknown part "${unknown[0]}" in DOCKSIDE_BENCH_PARTS (metrics, logs, cron)`);
  if (spawnSync('docker', ['image', 'inspect', BASE], { stdio: 'ignore' }).status !== 0) throw new Error(`${BASE} is missing; run bash scripts/setup.sh`);
  if (PARTS.includes('metrics')) await partMetrics();
  if (PARTS.includes('logs')) await partLogs();
  if (PARTS.includes('cron')) await partCron();
} catch (err) {
  console.error(`bench:scale: ${err.message}`);
  process.exitCode = 1;
} finally {
  if (rows.length) {
    const head = ['measure', 'value', 'detail', 'target'];
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    console.log(`bench:scale ${PARTS.join(',')}, ${new Date().toISOString()}, ${spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()} CPUs`);
    for (const line of [head, ...rows])
      console.log(
        line
          .map((c, i) => c.padEnd(w[i]))
          .join('  ')
          .trimEnd(),
      );
  }
  log('removing the benchmark containers and sidecars');
  await cleanup();
}
