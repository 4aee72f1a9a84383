#!/usr/bin/env node
// `npm run bench:logship`: the log shipper against `docker logs`, in one run.
//   A container writes 1,000,000 lines of 100 bytes (99 characters and a newline) and exits. Then:
//   1. `docker logs --timestamps <c> > file` (the seed recipe), timed;
//   2. `dockside logs ship <c> --to file:///dir` until dir/logs.ndjson holds every line, timed from
//      the command's start (CLI start-up, sidecar start and the fsynced checkpoints included).
//   Goal: the shipper at >= 0.9x the speed of docker logs. Prints one JSON summary on stdout.
//   3. live: a container writes 20,000 lines/s for 60 s while `dockside logs ship` follows it into a
//      file sink, then the same rate and duration while `docker logs -f --timestamps <c> > file`
//      follows another one. Every 100 ms the bench reads the newest complete line of each output file
//      and takes lag = wall clock - that line's Docker timestamp (an upper bound of every line's
//      lag at that moment); it reports p50/p99/max of those samples, the shipper container's
//      peak working set (cgroup memory usage minus inactive file cache, read from the host every
//      100 ms; `docker stats` where the cgroup files are not readable), and dockerd's CPU seconds
//      (utime+stime from /proc/<dockerd pid>/stat) from the first line until every line arrived.
//      Goals: lag p99 < 1 s, shipper memory < 100 MiB.
// Env: DOCKSIDE_BENCH_LINES (default 1000000), BENCH_LIVE_SECONDS (default 60), BENCH_LIVE_RATE
// (default 20000 lines/s).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(root, 'packages/cli/bin/run.js');
const { version } = (await import(join(root, 'packages/cli/package.json'), { with: { type: 'json' } })).default;
const TAG = process.env.DOCKSIDE_IMAGE_TAG || version;
const N = Number(process.env.DOCKSIDE_BENCH_LINES ?? 1_000_000);
const LIVE_S = Number(process.env.BENCH_LIVE_SECONDS ?? 60);
const LIVE_RATE = Number(process.env.BENCH_LIVE_RATE ?? 20_000);
const RUN = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const APP = `dockside-bench-logship-${RUN}`;
const NAME = `bench-${RUN}`;
const LIVE_APPS = [`${APP}-live-ship`, `${APP}-live-dlogs`];
const LIVE_NAME = `${NAME}-live`;
const log = (m) => process.stderr.write(`bench:logship: ${m}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function docker(...args) {
  const r = spawnSync('docker', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`docker ${args.slice(0, 3).join(' ')} failed: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

function cli(args) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dockside ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

let tmp;
try {
  tmp = await mkdtemp(join(tmpdir(), 'dockside-bench-logship-'));
  log(`writing ${N.toLocaleString()} lines of 100 bytes from ${APP}`);
  const js = `const b=[];for(let i=1;i<=${N};i++){b.push(String(i).padStart(99,'0'));if(b.length===10000){process.stdout.write(b.join('\\n')+'\\n');b.length=0}}if(b.length)process.stdout.write(b.join('\\n')+'\\n')`;
  docker('run', '-d', '--name', APP, '--label', 'dockside.bench=logship', `dockside/base:${TAG}`, 'node', '-e', js);
  docker('wait', APP);
  const id = docker('inspect', '--format', '{{.Id}}', APP);

  log('docker logs --timestamps > file');
  const t0 = performance.now();
  await new Promise((resolve, reject) => {
    const out = createWriteStream(join(tmp, 'docker-logs.txt'));
    const c = spawn('docker', ['logs', '--timestamps', APP], { stdio: ['ignore', 'pipe', 'inherit'] });
    c.stdout.pipe(out);
    c.on('error', reject);
    out.on('finish', resolve);
  });
  const dockerS = (performance.now() - t0) / 1000;
  const dockerBytes = (await stat(join(tmp, 'docker-logs.txt'))).size;

  // Every record has the same length (fixed-width time, same name, id, stream, 99-char message).
  const record = `${JSON.stringify({ time: '2026-01-01T00:00:00.000000000Z', container: APP, container_id: id, stream: 'stdout', message: '0'.repeat(99) })}\n`;
  const want = N * Buffer.byteLength(record);
  const dir = join(tmp, 'shipped');
  log('dockside logs ship --to file://');
  const t1 = performance.now();
  cli(['logs', 'ship', APP, '--to', `file://${dir}`, '--name', NAME]);
  for (;;) {
    const size = await stat(join(dir, 'logs.ndjson')).then(
      (s) => s.size,
      () => 0,
    );
    if (size >= want) break;
    if (performance.now() - t1 > 600_000) throw new Error(`the shipper did not finish in 10 minutes (${size} of ${want} bytes)`);
    await sleep(50);
  }
  const shipS = (performance.now() - t1) / 1000;
  const status = JSON.parse(cli(['logs', 'status', '--name', NAME, '--json']))[0]?.status;
  const summary = {
    lines: N,
    dockerLogsSeconds: +dockerS.toFixed(2),
    dockerLogsBytes: dockerBytes,
    shipperSeconds: +shipS.toFixed(2),
    shipperBytes: want,
    shipperLinesPerSecond: Math.round(N / shipS),
    speedVsDockerLogs: +(dockerS / shipS).toFixed(2),
    goal: '>= 0.9',
    checkpointWrites: status?.sinkStats?.batches,
  };
  cli(['logs', 'stop', '--name', NAME, '--forget']);
  summary.live = await live(tmp);
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
} finally {
  spawnSync(process.execPath, [CLI, 'logs', 'stop', '--name', NAME, '--forget'], { stdio: 'ignore' });
  spawnSync(process.execPath, [CLI, 'logs', 'stop', '--name', LIVE_NAME, '--forget'], { stdio: 'ignore' });
  spawnSync('docker', ['rm', '-f', APP, ...LIVE_APPS], { stdio: 'ignore' });
  if (tmp) await rm(tmp, { recursive: true, force: true });
}

// ---- live: 20,000 lines/s for 60 s, shipper vs docker logs -f ----

/** dockerd's utime+stime in seconds (fields 14 and 15 of /proc/<pid>/stat). */
function dockerdCpuSeconds() {
  const pid = spawnSync('pidof', ['dockerd'], { encoding: 'utf8' }).stdout.trim().split(/\s+/)[0];
  if (!pid) return NaN;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const hz = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  return (Number(f[11]) + Number(f[12])) / hz;
}

/** A container's working set in bytes: cgroup v1 or v2 files on the host, else `docker stats`. */
function memoryReader(id) {
  const candidates = [
    { usage: `/sys/fs/cgroup/memory/docker/${id}/memory.usage_in_bytes`, stat: `/sys/fs/cgroup/memory/docker/${id}/memory.stat`, inactive: 'total_inactive_file' },
    { usage: `/sys/fs/cgroup/system.slice/docker-${id}.scope/memory.current`, stat: `/sys/fs/cgroup/system.slice/docker-${id}.scope/memory.stat`, inactive: 'inactive_file' },
    { usage: `/sys/fs/cgroup/docker/${id}/memory.current`, stat: `/sys/fs/cgroup/docker/${id}/memory.stat`, inactive: 'inactive_file' },
  ];
  for (const c of candidates) {
    try {
      readFileSync(c.usage);
    } catch {
      continue;
    }
    return {
      source: c.usage.replace(id, '<id>'),
      read() {
        try {
          const usage = Number(readFileSync(c.usage, 'utf8'));
          const m = new RegExp(`^${c.inactive} (\\d+)$`, 'm').exec(readFileSync(c.stat, 'utf8'));
          return usage - (m ? Number(m[1]) : 0);
        } catch {
          return NaN; // the container is gone
        }
      },
    };
  }
  return {
    source: 'docker stats',
    read() {
      const r = spawnSync('docker', ['stats', '--no-stream', '--format', '{{.MemUsage}}', id], { encoding: 'utf8' });
      const m = /^([\d.]+)\s*([KMG]i?B|B)/.exec(r.stdout.trim());
      if (!m) return NaN;
      const unit = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, kB: 1e3, MB: 1e6, GB: 1e9 }[m[2]] ?? 1;
      return Number(m[1]) * unit;
    },
  };
}

/** The Docker timestamp (ms since the epoch) of the newest complete line of a file, or undefined. */
async function newestLineTime(file, parse) {
  let fh;
  try {
    fh = await open(file, 'r');
    const { size } = await fh.stat();
    if (size === 0) return undefined;
    const len = Math.min(size, 4096);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, size - len);
    const text = buf.toString('utf8');
    const end = text.lastIndexOf('\n');
    const start = text.lastIndexOf('\n', end - 1);
    if (end < 0 || start < 0) return undefined;
    return parse(text.slice(start + 1, end));
  } catch {
    return undefined;
  } finally {
    await fh?.close();
  }
}

/** RFC 3339 with up to 9 fractional digits to ms since the epoch (Date.parse keeps 3). */
function tsMs(t) {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z/.exec(t);
  if (!m) return undefined;
  return Date.parse(`${m[1]}Z`) + Number(`0.${m[2] ?? '0'}`) * 1000;
}

function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN;
}

/** The app: waits for /go/start, writes RATE lines/s (100 bytes each, numbered) for SECONDS, exits. */
function startLiveApp(name, goDir) {
  const js = `const fs=require('fs');const R=${LIVE_RATE},S=${LIVE_S},T=R*S;const w=setInterval(()=>{if(!fs.existsSync('/go/start'))return;clearInterval(w);const t0=Date.now();let i=0;const t=setInterval(()=>{const due=Math.min(T,Math.floor((Date.now()-t0)*R/1000));if(due<=i){return}const b=[];while(i<due){i++;b.push(String(i).padStart(99,'0'))}process.stdout.write(b.join('\\n')+'\\n');if(i>=T){clearInterval(t)}},5)},5)`;
  docker('run', '-d', '--name', name, '--label', 'dockside.bench=logship', '-v', `${goDir}:/go:ro`, `dockside/base:${TAG}`, 'node', '-e', js);
  return docker('inspect', '--format', '{{.Id}}', name);
}

/** Starts the writing, samples lag (and memory) every 100 ms until `done()`, returns the figures. */
async function measure({ goDir, file, parse, done, mem }) {
  const lags = [];
  let memMax = 0;
  const cpu0 = dockerdCpuSeconds();
  const load0 = loadavg()[0];
  const t0 = Date.now();
  writeFileSync(join(goDir, 'start'), '');
  const writeEnd = t0 + LIVE_S * 1000;
  for (;;) {
    const now = Date.now();
    const newest = await newestLineTime(file, parse);
    if (newest !== undefined && now <= writeEnd + 100) lags.push(now - newest);
    if (mem) {
      const m = mem.read();
      if (m > memMax) memMax = m;
    }
    if (now > writeEnd && (await done())) break;
    if (now - t0 > LIVE_S * 1000 + 300_000) throw new Error(`${file} did not receive every line within 5 minutes after the writing ended`);
    await sleep(Math.max(0, 100 - (Date.now() - now)));
  }
  const seconds = (Date.now() - t0) / 1000;
  const cpu = dockerdCpuSeconds() - cpu0;
  return {
    seconds: +seconds.toFixed(1),
    lagSamples: lags.length,
    lagP50Ms: Math.round(pct(lags, 50)),
    lagP99Ms: Math.round(pct(lags, 99)),
    lagMaxMs: Math.round(Math.max(...lags)),
    dockerdCpuSeconds: +cpu.toFixed(2),
    dockerdCpuPercent: +((cpu / seconds) * 100).toFixed(1),
    ...(mem ? { memoryMaxMiB: +(memMax / 1024 ** 2).toFixed(1), memorySource: mem.source } : {}),
    loadAverage1m: [+load0.toFixed(2), +loadavg()[0].toFixed(2)],
  };
}

async function live(dir) {
  const total = LIVE_RATE * LIVE_S;
  log(
    `live: ${LIVE_RATE.toLocaleString()} lines/s for ${LIVE_S} s (${total.toLocaleString()} lines), load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );

  // 1. The shipper, following the first app into a file sink.
  const goA = join(dir, 'go-ship');
  const sinkDir = join(dir, 'live-shipped');
  spawnSync('mkdir', ['-p', goA]);
  const idA = startLiveApp(LIVE_APPS[0], goA);
  cli(['logs', 'ship', LIVE_APPS[0], '--to', `file://${sinkDir}`, '--name', LIVE_NAME]);
  const shipperId = docker('ps', '-q', '--no-trunc', '--filter', `label=dockside.logship.name=${LIVE_NAME}`).split('\n')[0];
  const record = `${JSON.stringify({ time: '2026-01-01T00:00:00.000000000Z', container: LIVE_APPS[0], container_id: idA, stream: 'stdout', message: '0'.repeat(99) })}\n`;
  const want = total * Buffer.byteLength(record);
  const sinkFile = join(sinkDir, 'logs.ndjson');
  log('live: dockside logs ship --to file://');
  const shipper = await measure({
    goDir: goA,
    file: sinkFile,
    parse: (l) => tsMs(l.slice(9, 39)), // {"time":"<30 characters>",...
    done: async () =>
      (await stat(sinkFile).then(
        (s) => s.size,
        () => 0,
      )) >= want,
    mem: memoryReader(shipperId),
  });
  cli(['logs', 'stop', '--name', LIVE_NAME, '--forget']);

  // 2. docker logs -f --timestamps, following the second app into a file.
  const goB = join(dir, 'go-dlogs');
  spawnSync('mkdir', ['-p', goB]);
  startLiveApp(LIVE_APPS[1], goB);
  const outFile = join(dir, 'live-docker-logs.txt');
  const out = createWriteStream(outFile);
  const follower = spawn('docker', ['logs', '-f', '--timestamps', LIVE_APPS[1]], { stdio: ['ignore', 'pipe', 'inherit'] });
  follower.stdout.pipe(out);
  let finished = false;
  out.on('finish', () => (finished = true));
  await sleep(500); // docker logs -f attached
  log('live: docker logs -f --timestamps > file');
  const dockerLogs = await measure({
    goDir: goB,
    file: outFile,
    parse: (l) => tsMs(l),
    done: async () => finished,
  });
  const lines = (await readFile(outFile, 'utf8')).split('\n').length - 1;
  if (lines !== total) throw new Error(`docker logs -f wrote ${lines} lines, not ${total}`);

  const ratio = (a, b) => (b ? +(a / b).toFixed(2) : null);
  const rows = [
    ['', 'dockside logs ship', 'docker logs -f', 'ratio'],
    ['lag p50 (ms)', shipper.lagP50Ms, dockerLogs.lagP50Ms, ratio(shipper.lagP50Ms, dockerLogs.lagP50Ms)],
    ['lag p99 (ms)', shipper.lagP99Ms, dockerLogs.lagP99Ms, ratio(shipper.lagP99Ms, dockerLogs.lagP99Ms)],
    ['lag max (ms)', shipper.lagMaxMs, dockerLogs.lagMaxMs, ratio(shipper.lagMaxMs, dockerLogs.lagMaxMs)],
    ['dockerd CPU (s)', shipper.dockerdCpuSeconds, dockerLogs.dockerdCpuSeconds, ratio(shipper.dockerdCpuSeconds, dockerLogs.dockerdCpuSeconds)],
    ['dockerd CPU (% of a core)', shipper.dockerdCpuPercent, dockerLogs.dockerdCpuPercent, ratio(shipper.dockerdCpuPercent, dockerLogs.dockerdCpuPercent)],
    ['run until every line arrived (s)', shipper.seconds, dockerLogs.seconds, ratio(shipper.seconds, dockerLogs.seconds)],
    ['shipper memory max (MiB, working set)', shipper.memoryMaxMiB, '-', '-'],
    ['load average 1m (start/end)', shipper.loadAverage1m.join('/'), dockerLogs.loadAverage1m.join('/'), '-'],
  ];
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  process.stderr.write(`\n${rows.map((r) => r.map((v, c) => String(v).padEnd(w[c])).join('  ')).join('\n')}\n`);
  process.stderr.write(
    `goals: lag p99 < 1000 ms (${shipper.lagP99Ms < 1000 ? 'met' : 'NOT met'}), shipper memory < 100 MiB (${shipper.memoryMaxMiB < 100 ? 'met' : 'NOT met'})\n\n`,
  );
  return {
    rate: LIVE_RATE,
    seconds: LIVE_S,
    lines: total,
    lagMethod: 'every 100 ms: wall clock minus the Docker timestamp of the newest complete line in the output file',
    shipper,
    dockerLogsFollow: dockerLogs,
    ratios: { lagP99: ratio(shipper.lagP99Ms, dockerLogs.lagP99Ms), dockerdCpu: ratio(shipper.dockerdCpuSeconds, dockerLogs.dockerdCpuSeconds) },
    goals: { lagP99Ms: '< 1000', memoryMiB: '< 100' },
  };
}
