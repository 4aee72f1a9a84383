/**
 * The fleet on a real 3-node Swarm made by scripts/fleet.sh (three dockerd in their own network and
 * mount namespaces on this machine): the agent on every node, one log shipper per task of a global
 * and a replicated service, sidecars that follow a killed task and survive a killed agent, every
 * line shipped once with its Swarm place, and nothing left by `fleet down` and `fleet.sh down`.
 * Asserts on each node's own engine (its unix socket), not on what dockside says about it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { IMAGE_TAG, ROOT, runCli, waitFor } from '../support/engine.js';

const SCRIPT = join(ROOT, 'scripts', 'fleet.sh');
const FLEET_ROOT = '/var/lib/dockside-fleet';
const BASE = `dockside/base:${IMAGE_TAG}`;
const LINES = 400;

let manager = '';
const nodes: Array<{ name: string; host: string }> = [];
const sinkDir = mkdtempSync(join(tmpdir(), 'dockside-fleet-sink-'));

function fleetSh(...args: string[]): string {
  const r = spawnSync('bash', [SCRIPT, ...args], { encoding: 'utf8', env: { ...process.env, DOCKSIDE_IMAGE_TAG: IMAGE_TAG }, timeout: 180_000 });
  if (r.status !== 0) throw new Error(`scripts/fleet.sh ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return r.stdout;
}

function on(host: string, ...args: string[]): string {
  const r = spawnSync('docker', ['-H', host, ...args], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`docker -H ${host} ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

const env = () => ({ DOCKER_HOST: manager, DOCKSIDE_IMAGE_TAG: IMAGE_TAG });

/** Per node: running task containers of `services` (task id), and the fleet's shippers (task label). */
function nodeView(host: string, services: string[]): { tasks: string[]; shippers: string[] } {
  const fmt = '{{.Label "com.docker.swarm.service.name"}} {{.Label "com.docker.swarm.task.id"}}';
  const tasks = on(host, 'ps', '--filter', 'label=com.docker.swarm.task.id', '--format', fmt)
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' '))
    .filter(([s]) => services.includes(s ?? ''))
    .map(([, t]) => t ?? '');
  const shippers = on(host, 'ps', '-a', '--filter', 'label=dockside.fleet.chore=t', '--format', '{{.Label "dockside.fleet.task"}}').split('\n').filter(Boolean);
  return { tasks: tasks.sort(), shippers: shippers.sort() };
}

/** Every node runs exactly one shipper per running task of the services, and none for anything else. */
function oneShipperPerTask(services: string[]): boolean {
  return nodes.every((n) => {
    const v = nodeView(n.host, services);
    return JSON.stringify(v.tasks) === JSON.stringify(v.shippers);
  });
}

function totalTasks(services: string[]): number {
  return nodes.reduce((a, n) => a + nodeView(n.host, services).tasks.length, 0);
}

describe('the fleet on a 3-node Swarm', { timeout: 420_000 }, () => {
  before(() => {
    const missing = ['ip', 'nsenter', 'unshare', 'dockerd'].filter((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status !== 0);
    if (missing.length || process.getuid?.() !== 0) {
      throw new Error(`the fleet test needs root and ${missing.join(', ') || 'network namespaces'} (scripts/setup.sh installs docker.io, iproute2 and util-linux)`);
    }
    for (const img of [`dockside/fleet:${IMAGE_TAG}`, `dockside/logship:${IMAGE_TAG}`, BASE]) {
      if (spawnSync('docker', ['image', 'inspect', img], { stdio: 'ignore' }).status !== 0) throw new Error(`image ${img} is missing: run npm run build && scripts/setup.sh`);
    }
    const out = fleetSh('up', '3').trim().split('\n');
    manager = (out[0] ?? '').replace(/^DOCKER_HOST=/, '');
    for (const l of out.slice(1)) {
      const [name, host] = l.split(' ');
      nodes.push({ name: name ?? '', host: host ?? '' });
    }
    assert.equal(nodes.length, 3, `fleet.sh printed: ${out.join(' | ')}`);
  });

  after(() => {
    // Even on failure: the whole fleet goes, whatever state it is in.
    spawnSync('bash', [SCRIPT, 'down'], { stdio: 'ignore', timeout: 180_000 });
    rmSync(sinkDir, { recursive: true, force: true });
  });

  it('fleet up: the agent runs on every node within 60 s, behind its proxy, unprivileged', async () => {
    const r = await runCli(['fleet', 'up', '--json'], { env: env(), timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    const up = JSON.parse(r.stdout) as { nodes: number; ms: number };
    assert.equal(up.nodes, 3);
    assert.ok(up.ms < 60_000, `agents took ${up.ms} ms`);
    for (const n of nodes) {
      const id = on(n.host, 'ps', '-q', '--filter', 'label=com.docker.swarm.service.name=dockside-fleet-agent');
      assert.ok(id, `no agent on ${n.name}`);
      const hc = JSON.parse(on(n.host, 'inspect', id, '--format', '{{json .HostConfig}}')) as {
        Privileged: boolean;
        CapDrop: string[] | null;
        ReadonlyRootfs: boolean;
        Binds: string[] | null;
      };
      const mounts = JSON.parse(on(n.host, 'inspect', id, '--format', '{{json .Mounts}}')) as Array<{ Source: string; Destination: string }>;
      assert.equal(hc.Privileged, false);
      assert.ok(hc.ReadonlyRootfs);
      assert.deepEqual(hc.CapDrop, ['ALL']);
      assert.ok(!mounts.some((m) => /docker\.sock$/.test(m.Source) || /docker\.sock$/.test(m.Destination)), `the agent mounts the engine socket: ${JSON.stringify(mounts)}`);
      assert.equal(on(n.host, 'inspect', id, '--format', '{{.Config.Labels.dockside}} {{index .Config.Labels "dockside.role"}}'), 'true fleet');
    }
    const st = await runCli(['fleet', 'status', '--json'], { env: env() });
    assert.equal(st.code, 0, st.stderr);
    const list = JSON.parse(st.stdout) as Array<{ hostname: string; agent: string }>;
    assert.deepEqual(
      list.map((n) => `${n.hostname}:${n.agent}`),
      ['dsf-n1:running', 'dsf-n2:running', 'dsf-n3:running'],
    );
  });

  it('a global and a 2-replica service get exactly one shipper per task; they follow a killed task and outlive a killed agent; every line once', async () => {
    // Each task prints LINES numbered lines, then waits.
    const script = `i=0; while [ $i -lt ${LINES} ]; do i=$((i+1)); echo "line $i"; sleep 0.02; done; sleep 100000`;
    on(manager, 'service', 'create', '-q', '--detach', '--name', 'web', '--mode', 'global', '--endpoint-mode', 'dnsrr', BASE, 'sh', '-c', script);
    on(manager, 'service', 'create', '-q', '--detach', '--name', 'api', '--replicas', '2', '--endpoint-mode', 'dnsrr', BASE, 'sh', '-c', script);
    await waitFor(() => totalTasks(['web', 'api']) === 5, 'the 5 tasks running', 60_000, 500);
    const ship = await runCli(['logs', 'ship', '--swarm', '--service', 'web', '--service', 'api', '--to', `file://${sinkDir}`, '--name', 't'], { env: env(), timeoutMs: 120_000 });
    assert.equal(ship.code, 0, ship.stderr);
    await waitFor(() => oneShipperPerTask(['web', 'api']), 'one shipper per task on every node', 30_000, 500);

    // Kill one web task: Swarm replaces it; its shipper goes, the new task gets one within 30 s.
    const victim = nodes[1]!;
    const killed = on(victim.host, 'ps', '-q', '--filter', 'label=com.docker.swarm.service.name=web');
    const killedTask = on(victim.host, 'inspect', killed, '--format', '{{index .Config.Labels "com.docker.swarm.task.id"}}');
    // Let it print a while first, so its lines are part of what must arrive once.
    await new Promise((r) => setTimeout(r, 2000));
    on(victim.host, 'kill', killed);
    await waitFor(
      () => {
        const v = nodeView(victim.host, ['web', 'api']);
        return !v.tasks.includes(killedTask) && !v.shippers.includes(killedTask) && oneShipperPerTask(['web', 'api']);
      },
      'the replaced task to get its shipper and the old one to go',
      45_000,
      500,
    );

    // Kill a node's agent while lines flow: the shippers run on; the new agent adopts them.
    const n3 = nodes[2]!;
    const before3 = on(n3.host, 'ps', '-q', '--filter', 'label=dockside.fleet.chore=t').split('\n').sort();
    on(n3.host, 'kill', on(n3.host, 'ps', '-q', '--filter', 'label=com.docker.swarm.service.name=dockside-fleet-agent'));
    await waitFor(() => on(n3.host, 'ps', '-q', '--filter', 'label=com.docker.swarm.service.name=dockside-fleet-agent'), 'a new agent on n3', 30_000, 500);
    await new Promise((r) => setTimeout(r, 3000));
    assert.deepEqual(on(n3.host, 'ps', '-q', '--filter', 'label=dockside.fleet.chore=t').split('\n').sort(), before3, 'the shippers on n3 were replaced');
    assert.ok(oneShipperPerTask(['web', 'api']));

    // Every task's lines arrive once, in order, labelled with their Swarm place.
    const liveTasks = nodes.flatMap((n) => nodeView(n.host, ['web', 'api']).tasks);
    await waitFor(
      () => {
        if (!existsSync(join(sinkDir, 'logs.ndjson'))) return false;
        const recs = readFileSync(join(sinkDir, 'logs.ndjson'), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { swarm?: { task: string } });
        return liveTasks.every((t) => recs.filter((r) => r.swarm?.task === t).length >= LINES);
      },
      `all ${LINES} lines of every live task`,
      60_000,
      1000,
    );
    const recs = readFileSync(join(sinkDir, 'logs.ndjson'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { message: string; container: string; swarm?: { node: string; service: string; task: string; slot?: number } });
    const byTask = new Map<string, string[]>();
    for (const r of recs) {
      assert.ok(r.swarm, `a line without its Swarm place: ${JSON.stringify(r)}`);
      assert.ok(r.swarm.node && r.swarm.service && r.swarm.task);
      if (r.swarm.service === 'api') assert.ok(r.swarm.slot === 1 || r.swarm.slot === 2, `api slot ${r.swarm.slot}`);
      byTask.set(r.swarm.task, [...(byTask.get(r.swarm.task) ?? []), r.message]);
    }
    for (const t of liveTasks) {
      assert.deepEqual(
        byTask.get(t),
        Array.from({ length: LINES }, (_, i) => `line ${i + 1}`),
        `task ${t}: lines lost, repeated or out of order`,
      );
    }
    // The killed task's lines: a prefix of 1..LINES, each once.
    const dead = byTask.get(killedTask) ?? [];
    assert.ok(dead.length > 0, 'the killed task shipped nothing');
    assert.deepEqual(
      dead,
      Array.from({ length: dead.length }, (_, i) => `line ${i + 1}`),
    );
    assert.equal(byTask.size, liveTasks.length + 1, 'lines from a task that is not one of these');
  });

  it('fleet down removes the agent and everything it started on every node; fleet.sh down leaves nothing', async () => {
    const r = await runCli(['fleet', 'down'], { env: env(), timeoutMs: 180_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(on(manager, 'service', 'ls', '-q', '--filter', 'label=dockside.fleet'), '');
    for (const n of nodes) {
      await waitFor(() => on(n.host, 'ps', '-aq', '--filter', 'label=dockside') === '', `no dockside container on ${n.name}`, 30_000, 500);
      const vols = on(n.host, 'volume', 'ls', '-q')
        .split('\n')
        .filter((v) => v.startsWith('dockside-'));
      assert.deepEqual(vols, [], `volumes left on ${n.name}`);
    }
    const again = await runCli(['fleet', 'down'], { env: env(), timeoutMs: 180_000 });
    assert.equal(again.code, 0, again.stderr);

    fleetSh('down');
    assert.ok(!existsSync(FLEET_ROOT), `${FLEET_ROOT} is left`);
    assert.equal(
      spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter((l) => l.startsWith('dsf-')).length,
      0,
      'a namespace is left',
    );
    assert.ok(!/\bdsf[0-9]/.test(spawnSync('ip', ['-o', 'link'], { encoding: 'utf8' }).stdout), 'a veth is left');
    assert.ok(!readFileSync('/proc/self/mounts', 'utf8').includes(FLEET_ROOT), 'a mount is left');
    const procs = readdirSync('/proc')
      .filter((p) => /^[0-9]+$/.test(p) && Number(p) !== process.pid)
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(FLEET_ROOT);
        } catch {
          return false; // gone meanwhile
        }
      });
    assert.deepEqual(procs, [], 'a process of the fleet is left');
    assert.ok(!existsSync('/sys/fs/cgroup/memory/dsf-n1'), 'a cgroup is left');
    fleetSh('down'); // idempotent
  });
});
