#!/usr/bin/env node
// `npm run bench:cli`: start-up cost of the dockside CLI, side by side in one run with
//   node -e 0   the floor for any Node CLI
//   docker ps   the Go peer
// and a debug sidecar against its peer (`dockside debug <app> -- ip -brief addr` vs `docker run --rm
// --net container:<app>` with the same image and command). Runs are interleaved (so machine noise
// hits every command alike); prints medians and ratios. Targets (issue 13): --help <= 2.0x and
// ps <= 2.5x `node -e 0`; debug <= 1.3x `docker run`.
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(root, 'packages/cli/bin/run.js');
const { version } = JSON.parse(readFileSync(join(root, 'packages', 'cli', 'package.json'), 'utf8'));
const TAG = process.env.DOCKSIDE_IMAGE_TAG || version;
const runs = Number(process.env.DOCKSIDE_BENCH_RUNS ?? 21);
const app = `dsbench-cli-${randomBytes(3).toString('hex')}`;
const LABEL = `dockside.bench=${app}`;
const CMD = ['ip', '-brief', 'addr'];
const cases = [
  { name: 'node -e 0', cmd: process.execPath, args: ['-e', '0'] },
  { name: 'dockside --help', cmd: process.execPath, args: [CLI, '--help'], target: 2.0, peer: 'node -e 0' },
  { name: 'dockside ps', cmd: process.execPath, args: [CLI, 'ps'], target: 2.5, peer: 'node -e 0' },
  { name: 'docker ps', cmd: 'docker', args: ['ps'], peer: 'node -e 0' },
  { name: `dockside debug -- ${CMD.join(' ')}`, cmd: process.execPath, args: [CLI, 'debug', app, '--', ...CMD], target: 1.3, peer: 'docker run --rm' },
  { name: 'docker run --rm', cmd: 'docker', args: ['run', '--rm', '--net', `container:${app}`, '--entrypoint', CMD[0], `dockside/netdebug:${TAG}`, ...CMD.slice(1)] },
];

const docker = (...args) => spawnSync('docker', args, { encoding: 'utf8' });
const times = new Map(cases.map((c) => [c.name, []]));
try {
  const made = docker('run', '-d', '--name', app, '--label', LABEL, `dockside/base:${TAG}`, 'sleep', 'infinity');
  if (made.status !== 0) throw new Error(`cannot start the target container: ${made.stderr.trim()} (is the engine running and are the images built? bash scripts/setup.sh)`);
  for (const c of cases) spawnSync(c.cmd, c.args, { stdio: 'ignore' }); // warm the page cache
  for (let i = 0; i < runs; i++) {
    for (const c of cases) {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(c.cmd, c.args, { stdio: ['ignore', 'ignore', 'pipe'] });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r.status !== 0) throw new Error(`${c.name} exited ${r.status}: ${String(r.stderr).trim()}`);
      times.get(c.name).push(ms);
    }
  }
} catch (err) {
  console.error(`bench:cli: ${err.message}`);
  process.exitCode = 1;
} finally {
  const left = docker('ps', '-aq', '--filter', `label=${LABEL}`).stdout.split('\n').filter(Boolean);
  const side = docker('ps', '-aq', '--filter', `label=dockside.target.name=${app}`).stdout.split('\n').filter(Boolean);
  if (left.length + side.length) docker('rm', '-f', ...left, ...side);
}
if (process.exitCode) process.exit();

const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const rows = cases.map((c) => {
  const xs = times.get(c.name);
  const med = q(xs, 0.5);
  const ratio = c.peer ? med / q(times.get(c.peer), 0.5) : undefined;
  return {
    case: c.name,
    median_ms: +med.toFixed(1),
    p90_ms: +q(xs, 0.9).toFixed(1),
    ratio: ratio === undefined ? '' : `${ratio.toFixed(2)}x ${c.peer}`,
    target: c.target ? `<= ${c.target}x` : '',
    met: c.target ? (ratio <= c.target ? 'yes' : 'NO') : '',
  };
});
if (process.argv.includes('--json')) console.log(JSON.stringify({ runs, rows }, null, 2));
else {
  const head = ['case', 'median ms', 'p90 ms', 'ratio', 'target', 'met'];
  const body = rows.map((r) => [r.case, String(r.median_ms), String(r.p90_ms), r.ratio, r.target, r.met]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  for (const line of [head, ...body]) console.log(line.map((c, i) => (i === 0 || i === 3 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  '));
  console.log(`(${runs} interleaved runs each, median; docker ps and docker run are the Go peers)`);
}
