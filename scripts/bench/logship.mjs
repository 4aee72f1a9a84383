#!/usr/bin/env node
// `npm run bench:logship`: the log shipper against `docker logs`, in one run.
//   A container writes 1,000,000 lines of 100 bytes (99 characters and a newline) and exits. Then:
//   1. `docker logs --timestamps <c> > file` (the seed recipe), timed;
//   2. `dockside logs ship <c> --to file:///dir` until dir/logs.ndjson holds every line, timed from
//      the command's start (CLI start-up, sidecar start and the fsynced checkpoints included).
//   Goal: the shipper at >= 0.9x the speed of docker logs. Prints one JSON summary on stdout.
// Env: DOCKSIDE_BENCH_LINES (default 1000000).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(root, 'packages/cli/bin/run.js');
const { version } = (await import(join(root, 'packages/cli/package.json'), { with: { type: 'json' } })).default;
const TAG = process.env.DOCKSIDE_IMAGE_TAG || version;
const N = Number(process.env.DOCKSIDE_BENCH_LINES ?? 1_000_000);
const RUN = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const APP = `dockside-bench-logship-${RUN}`;
const NAME = `bench-${RUN}`;
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
    const size = await stat(join(dir, 'logs.ndjson')).then((s) => s.size, () => 0);
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
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
} finally {
  spawnSync(process.execPath, [CLI, 'logs', 'stop', '--name', NAME, '--forget'], { stdio: 'ignore' });
  spawnSync('docker', ['rm', '-f', APP], { stdio: 'ignore' });
  if (tmp) await rm(tmp, { recursive: true, force: true });
}
