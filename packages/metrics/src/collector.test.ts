import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { candidatePaths, detectLayout } from './cgroup/layout.js';
import { readCgroupStats } from './cgroup/read.js';
import { collect, createCollector, type CollectTarget, type CollectorState } from './collector.js';

const FIX = join(import.meta.dirname, '..', 'fixtures');
const V1_ID = '7aa90c9c3232c9e64f1ecfbf98a9798cc82d0f54754f4ce2444ebc0974d2c33f';
const A = 'a1'.repeat(32);
const B = 'b2'.repeat(32);
const C = 'c3'.repeat(32);
const MiB = 1024 * 1024;

/** Each recorded container's main process (its State.Pid, as the engine reports it). */
const MAIN_PID: Record<string, number> = { [V1_ID]: 26180, [A]: 4242, [B]: 4300, [C]: 777 };

function target(id: string, name: string, extra: Partial<CollectTarget> = {}): CollectTarget {
  return { id, name, image: 'img:1', labels: {}, ...(MAIN_PID[id] ? { pid: MAIN_PID[id] } : {}), ...extra };
}

function collector(tree: string): CollectorState {
  const s = createCollector({ cgroupRoot: join(tree, 'sys', 'fs', 'cgroup'), procRoot: join(tree, 'proc') });
  assert.ok(s, `layout detected in ${tree}`);
  return s;
}

const tmps: string[] = [];
after(() => tmps.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The recorded v1 tree rearranged as a systemd-driver host with cpu and cpuacct co-mounted. */
function v1SystemdTree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ds-v1sd-'));
  tmps.push(dir);
  cpSync(join(FIX, 'v1-cgroupfs'), dir, { recursive: true });
  const root = join(dir, 'sys', 'fs', 'cgroup');
  mkdirSync(join(root, 'cpu,cpuacct'));
  for (const c of ['cpu', 'cpuacct']) {
    cpSync(join(root, c), join(root, 'cpu,cpuacct'), { recursive: true });
    rmSync(join(root, c), { recursive: true });
  }
  symlinkSync('cpu,cpuacct', join(root, 'cpu'));
  for (const c of ['cpu,cpuacct', 'memory', 'blkio', 'pids']) {
    mkdirSync(join(root, c, 'system.slice'), { recursive: true });
    renameSync(join(root, c, 'docker', V1_ID), join(root, c, 'system.slice', `docker-${V1_ID}.scope`));
  }
  return dir;
}

describe('collector on recorded cgroup v1 files', () => {
  const check = (state: CollectorState, expectPath: string) => {
    const col = collect(state, [target(V1_ID, 'rec')]);
    assert.equal(col.cgroupVersion, 1);
    const [c] = col.containers;
    assert.ok(c);
    assert.equal(c.cgroupPath, expectPath);
    // cpuacct.usage 337509731 ns, usage_user 315907383 ns, usage_sys 31455459 ns.
    assert.equal(c.cpu.usageSeconds, 0.337509731);
    assert.equal(c.cpu.userSeconds, 0.315907383);
    assert.equal(c.cpu.systemSeconds, 0.031455459);
    assert.deepEqual([c.cpu.periods, c.cpu.throttledPeriods, c.cpu.throttledSeconds, c.cpu.quotaCores], [9, 5, 0.236097581, 0.5]);
    // usage 9191424, total_inactive_file from memory.stat.
    const stat = readFileSync(join(FIX, 'v1-cgroupfs/sys/fs/cgroup/memory/docker', V1_ID, 'memory.stat'), 'utf8');
    const inactive = Number(/^total_inactive_file (\d+)$/m.exec(stat)?.[1]);
    assert.equal(c.memory.usage, 9191424);
    assert.equal(c.memory.workingSet, 9191424 - inactive);
    assert.deepEqual([c.memory.rss, c.memory.cache, c.memory.limit, c.memory.oomEvents], [221184, 8392704, 256 * MiB, 0]);
    assert.deepEqual(c.io, [{ device: '254:0', readBytes: 8 * MiB, writeBytes: 8 * MiB, reads: 5, writes: 8 }]);
    assert.deepEqual(c.pids, { current: 2, limit: 64 });
    assert.ok(c.network && !c.network.host && !c.network.sharedWith);
    assert.deepEqual(
      c.network.interfaces.map((i) => [i.iface, i.rxBytes, i.rxPackets]),
      [['eth0', 180, 2]],
    );
  };

  it('cgroupfs driver: <controller>/docker/<id>', () => check(collector(join(FIX, 'v1-cgroupfs')), `docker/${V1_ID}`));
  it('systemd driver with cpu,cpuacct co-mounted: <controller>/system.slice/docker-<id>.scope', () => check(collector(v1SystemdTree()), `system.slice/docker-${V1_ID}.scope`));

  it('the v2 reading of the same container (hybrid host, recorded at the same moment) agrees on CPU', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ds-hyb-'));
    tmps.push(dir);
    mkdirSync(join(dir, 'docker', V1_ID), { recursive: true });
    cpSync(join(FIX, 'recorded-v2-hybrid-cpu.stat'), join(dir, 'docker', V1_ID, 'cpu.stat'));
    const v2 = readCgroupStats({ version: 2, root: dir }, `docker/${V1_ID}`);
    const v1 = readCgroupStats(detectLayout(join(FIX, 'v1-cgroupfs/sys/fs/cgroup')) as never, `docker/${V1_ID}`);
    assert.ok(v1 && v2);
    assert.ok(Math.abs(v2.cpu.usageSeconds - v1.cpu.usageSeconds) < 1e-3, `${v2.cpu.usageSeconds} vs ${v1.cpu.usageSeconds}`);
  });
});

describe('collector on cgroup v2 trees (same code path)', () => {
  it('systemd driver: figures in seconds and bytes, limits, OOM kills, per-device I/O', () => {
    const col = collect(collector(join(FIX, 'v2-systemd')), [target(A, 'web'), target(B, 'sidecar', { networkMode: `container:${A}` })]);
    assert.equal(col.cgroupVersion, 2);
    const web = col.containers.find((c) => c.name === 'web');
    assert.ok(web);
    assert.equal(web.cgroupPath, `system.slice/docker-${A}.scope`);
    assert.deepEqual(web.cpu, { usageSeconds: 2.5, userSeconds: 2, systemSeconds: 0.5, periods: 120, throttledPeriods: 30, throttledSeconds: 1.5, quotaCores: 1.5 });
    assert.deepEqual(web.memory, { usage: 70 * MiB, workingSet: 50 * MiB, rss: 40 * MiB, cache: 24 * MiB, swap: MiB, limit: 512 * MiB, oomEvents: 2 });
    assert.deepEqual(web.io, [
      { device: '259:0', readBytes: 4096000, writeBytes: 50 * MiB, reads: 250, writes: 400 },
      { device: '8:0', readBytes: 1024, writeBytes: 0, reads: 1, writes: 0 },
    ]);
    assert.deepEqual(web.pids, { current: 5, limit: null });
    assert.deepEqual(
      web.network?.interfaces.map((i) => [i.iface, i.rxBytes, i.rxPackets, i.rxErrors, i.rxDropped, i.txBytes, i.txPackets, i.txErrors, i.txDropped]),
      [['eth0', 10 * MiB, 8000, 1, 2, 2 * MiB, 4000, 3, 4]],
    );
  });

  it('a namespace shared with --net container: is read once, by its owner, whatever the order', () => {
    const state = collector(join(FIX, 'v2-systemd'));
    const col = collect(state, [target(B, 'sidecar', { networkMode: `container:${A}` }), target(A, 'web')]);
    const side = col.containers.find((c) => c.name === 'sidecar');
    assert.equal(side?.network?.sharedWith, A);
    assert.deepEqual(side?.network?.interfaces, []);
    assert.equal(side?.memory.limit, null);
    assert.deepEqual(side?.pids, { current: 1, limit: 100 });
    assert.equal(col.containers.find((c) => c.name === 'web')?.network?.interfaces.length, 1);
  });

  it('cgroupfs driver: docker/<id>, no limits, quota none', () => {
    const col = collect(collector(join(FIX, 'v2-cgroupfs')), [target(C, 'worker')]);
    const [w] = col.containers;
    assert.equal(w?.cgroupPath, `docker/${C}`);
    assert.equal(w?.cpu.usageSeconds, 0.75);
    assert.equal(w?.cpu.quotaCores, null);
    assert.equal(w?.memory.limit, null);
    assert.equal(w?.memory.workingSet, 12 * MiB);
    assert.deepEqual(w?.io, [{ device: '254:0', readBytes: 0, writeBytes: MiB, reads: 0, writes: 16 }]);
    assert.deepEqual(
      w?.network?.interfaces.map((i) => [i.iface, i.rxBytes, i.txBytes]),
      [['eth0', 500, 700]],
    );
  });

  it('a container whose cgroup is gone is left out, with no partial figures and no error', () => {
    const state = collector(join(FIX, 'v2-cgroupfs'));
    const col = collect(state, [target(C, 'worker'), target('d4'.repeat(32), 'vanished')]);
    assert.deepEqual(
      col.containers.map((c) => c.name),
      ['worker'],
    );
  });

  it('a container whose cgroup vanishes after it was located is dropped from the cache and the output', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ds-van-'));
    tmps.push(dir);
    cpSync(join(FIX, 'v2-cgroupfs'), dir, { recursive: true });
    const state = collector(dir);
    assert.equal(collect(state, [target(C, 'worker')]).containers.length, 1);
    assert.equal(state.cache.get(C)?.rel, `docker/${C}`);
    rmSync(join(dir, 'sys/fs/cgroup/docker', C), { recursive: true });
    assert.deepEqual(collect(state, [target(C, 'worker')]).containers, []);
    assert.equal(state.cache.has(C), false);
  });

  it('candidate paths follow --cgroup-parent for both drivers', () => {
    assert.deepEqual(candidatePaths('x', '/mygroup'), ['mygroup/x', 'docker/x', 'system.slice/docker-x.scope']);
    assert.deepEqual(candidatePaths('x', 'apps-web.slice')[0], 'apps.slice/apps-web.slice/docker-x.scope');
  });

  it('finds a container under an unexpected parent by a bounded search', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ds-srch-'));
    tmps.push(dir);
    cpSync(join(FIX, 'v2-cgroupfs'), dir, { recursive: true });
    mkdirSync(join(dir, 'sys/fs/cgroup/custom/parent'), { recursive: true });
    renameSync(join(dir, 'sys/fs/cgroup/docker', C), join(dir, 'sys/fs/cgroup/custom/parent', C));
    const col = collect(collector(dir), [target(C, 'worker')]);
    assert.equal(col.containers[0]?.cgroupPath, `custom/parent/${C}`);
  });

  it('network figures come from the main process (State.Pid), not the lowest pid in cgroup.procs', () => {
    // After PIDs wrap, a process with a lower pid than the main one (here 12, in a network
    // namespace of its own with only lo) sits in the container's cgroup.
    const dir = mkdtempSync(join(tmpdir(), 'ds-wrap-'));
    tmps.push(dir);
    cpSync(join(FIX, 'v2-cgroupfs'), dir, { recursive: true });
    const procs = join(dir, 'sys/fs/cgroup/docker', C, 'cgroup.procs');
    writeFileSync(procs, '12\n777\n');
    mkdirSync(join(dir, 'proc/12/net'), { recursive: true });
    writeFileSync(
      join(dir, 'proc/12/net/dev'),
      readFileSync(join(dir, 'proc/777/net/dev'), 'utf8')
        .split('\n')
        .filter((l) => !/eth0/.test(l))
        .join('\n'),
    );
    const state = collector(dir);
    const col = collect(state, [target(C, 'worker')]);
    assert.deepEqual(
      col.containers[0]?.network?.interfaces.map((i) => [i.iface, i.rxBytes, i.txBytes]),
      [['eth0', 500, 700]],
    );
    // No State.Pid known: no network figures rather than a guess.
    assert.equal(collect(collector(dir), [target(C, 'worker', { pid: 0 })]).containers[0]?.network, null);
  });

  it('a restarted main process (not in cgroup.procs any more) is dropped for the caller to look up again', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ds-restart-'));
    tmps.push(dir);
    cpSync(join(FIX, 'v2-cgroupfs'), dir, { recursive: true });
    const state = collector(dir);
    state.mainPids.set(C, 777);
    assert.equal(collect(state, [target(C, 'worker')]).containers[0]?.network?.interfaces.length, 1);
    assert.equal(state.mainPids.get(C), 777);
    // Restarted: the old pid has left the cgroup (the host may hand it to anyone now).
    writeFileSync(join(dir, 'sys/fs/cgroup/docker', C, 'cgroup.procs'), '901\n');
    assert.equal(collect(state, [target(C, 'worker')]).containers[0]?.network, null);
    assert.equal(state.mainPids.has(C), false, 'the caller inspects it again');
    cpSync(join(dir, 'proc/777'), join(dir, 'proc/901'), { recursive: true });
    assert.equal(collect(state, [target(C, 'worker', { pid: 901 })]).containers[0]?.network?.interfaces.length, 1);
  });

  it('no cgroup mount: no collector', () => {
    assert.equal(createCollector({ cgroupRoot: join(FIX, 'nonexistent'), procRoot: '/proc' }), null);
  });
});
