#!/usr/bin/env node
// bench:fleet — on a 3-node Swarm made by scripts/fleet.sh: time from `dockside fleet up` to every
// node's agent running; time from a task's start to its shipper running (p50/p99 over the tasks
// of a service scaled up in steps); the agent's memory per node (its cgroup). Leaves nothing.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'packages', 'cli', 'bin', 'run.js');
const tag = process.env.DOCKSIDE_IMAGE_TAG || JSON.parse(readFileSync(join(root, 'packages/cli/package.json'), 'utf8')).version;
const sh = (cmd, args, env = {}) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 300_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
  return r.stdout.trim();
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];

let nodes = [];
try {
  const t0 = Date.now();
  const out = sh('bash', [join(root, 'scripts/fleet.sh'), 'up', '3']).split('\n');
  const fleetShMs = Date.now() - t0;
  const manager = out[0].replace(/^DOCKER_HOST=/, '');
  nodes = out.slice(1).map((l) => l.split(' ')[1]);
  const env = { DOCKER_HOST: manager, DOCKSIDE_IMAGE_TAG: tag };
  const t1 = Date.now();
  sh(process.execPath, [cli, 'fleet', 'up'], env);
  const upMs = Date.now() - t1;
  sh('docker', ['-H', manager, 'service', 'create', '-q', '--detach', '--name', 'bench', '--replicas', '1', '--endpoint-mode', 'dnsrr', `dockside/base:${tag}`, 'sleep', '100000']);
  sh(process.execPath, [cli, 'logs', 'ship', '--swarm', '--service', 'bench', '--to', 'file:///tmp/dockside-bench-fleet', '--name', 'b'], env);
  const lags = [];
  for (const replicas of [4, 8, 12]) {
    sh('docker', ['-H', manager, 'service', 'scale', '-d', `bench=${replicas}`]);
    const end = Date.now() + 90_000;
    for (;;) {
      const rows = nodes.flatMap((h) => {
        const fmt = '{{.ID}}';
        const tasks = sh('docker', ['-H', h, 'ps', '-q', '--no-trunc', '--filter', 'label=com.docker.swarm.service.name=bench']).split('\n').filter(Boolean);
        return tasks.map((id) => ({ h, id, fmt }));
      });
      const done = rows.map(({ h, id }) => {
        const started = Date.parse(sh('docker', ['-H', h, 'inspect', id, '--format', '{{.State.StartedAt}}']));
        const task = sh('docker', ['-H', h, 'inspect', id, '--format', '{{index .Config.Labels "com.docker.swarm.task.id"}}']);
        const car = sh('docker', ['-H', h, 'ps', '-q', '--filter', `label=dockside.fleet.task=${task}`]);
        return car ? { id, lag: Date.parse(sh('docker', ['-H', h, 'inspect', car, '--format', '{{.State.StartedAt}}'])) - started } : null;
      });
      if (rows.length === replicas && done.every(Boolean)) {
        for (const d of done) if (!lags.some((l) => l.id === d.id)) lags.push(d);
        break;
      }
      if (Date.now() > end) throw new Error(`not every bench task got its shipper (scale ${replicas})`);
      await sleep(500);
    }
  }
  await sleep(3000);
  const mem = nodes.map((h) => {
    const id = sh('docker', ['-H', h, 'ps', '-q', '--no-trunc', '--filter', 'label=com.docker.swarm.service.name=dockside-fleet-agent']);
    // The node's engine reads the container's cgroup for us (`docker stats`, one sample).
    const used = sh('docker', ['-H', h, 'stats', '--no-stream', '--format', '{{.MemUsage}}', id]).split('/')[0].trim();
    const m = /^([0-9.]+)\s*([KMG]i?B)$/.exec(used);
    return m ? Number(m[1]) * ({ KiB: 1 / 1024, MiB: 1, GiB: 1024, kB: 1 / 1000, MB: 1, GB: 1000 }[m[2]] ?? NaN) : NaN;
  });
  const ms = lags.map((l) => l.lag);
  console.log(`fleet.sh up 3: ${(fleetShMs / 1000).toFixed(1)} s`);
  console.log(`fleet up -> every agent running: ${(upMs / 1000).toFixed(1)} s`);
  console.log(
    `task start -> shipper running (${ms.length} tasks): p50 ${(pct(ms, 50) / 1000).toFixed(2)} s, p99 ${(pct(ms, 99) / 1000).toFixed(2)} s, max ${(Math.max(...ms) / 1000).toFixed(2)} s`,
  );
  console.log(`agent memory per node: ${mem.map((m) => `${m.toFixed(1)} MiB`).join(', ')}`);
} finally {
  spawnSync('bash', [join(root, 'scripts/fleet.sh'), 'down'], { stdio: 'ignore' });
  spawnSync('rm', ['-rf', '/tmp/dockside-bench-fleet']);
}
