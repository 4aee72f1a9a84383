#!/usr/bin/env node
// `npm run bench:cli`: start-up cost of the dockside CLI, side by side in one run with
//   node -e 0   the floor for any Node CLI
//   docker ps   the Go peer
// Runs are interleaved (so machine noise hits every command alike); prints medians and ratios to
// `node -e 0`. Targets (issue 2): --help <= 2.5x, ps <= 3.5x.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(root, 'packages/cli/bin/run.js');
const runs = Number(process.env.DOCKSIDE_BENCH_RUNS ?? 21);
const cases = [
  { name: 'node -e 0', cmd: process.execPath, args: ['-e', '0'] },
  { name: 'dockside --help', cmd: process.execPath, args: [CLI, '--help'], target: 2.5 },
  { name: 'dockside ps', cmd: process.execPath, args: [CLI, 'ps'], target: 3.5 },
  { name: 'docker ps', cmd: 'docker', args: ['ps'] },
];

const times = new Map(cases.map((c) => [c.name, []]));
for (const c of cases) spawnSync(c.cmd, c.args, { stdio: 'ignore' }); // warm the page cache
for (let i = 0; i < runs; i++) {
  for (const c of cases) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(c.cmd, c.args, { stdio: 'ignore' });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) {
      console.error(`bench:cli: ${c.name} exited ${r.status}; is the engine running? (bash scripts/setup.sh)`);
      process.exit(1);
    }
    times.get(c.name).push(ms);
  }
}
const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const floor = q(times.get('node -e 0'), 0.5);
const rows = cases.map((c) => {
  const xs = times.get(c.name);
  const med = q(xs, 0.5);
  const ratio = med / floor;
  return { case: c.name, median_ms: +med.toFixed(1), p90_ms: +q(xs, 0.9).toFixed(1), ratio_to_node: +ratio.toFixed(2), target: c.target ? `<= ${c.target}x` : '', met: c.target ? (ratio <= c.target ? 'yes' : 'NO') : '' };
});
if (process.argv.includes('--json')) console.log(JSON.stringify({ runs, rows }, null, 2));
else {
  const head = ['case', 'median ms', 'p90 ms', 'x node -e 0', 'target', 'met'];
  const body = rows.map((r) => [r.case, String(r.median_ms), String(r.p90_ms), `${r.ratio_to_node}x`, r.target, r.met]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  for (const line of [head, ...body]) console.log(line.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  '));
  console.log(`(${runs} interleaved runs each, median; docker ps is the Go peer)`);
}
