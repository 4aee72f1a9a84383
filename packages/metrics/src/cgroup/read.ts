/**
 * Reading one container's cgroup files into layout-independent figures. Synchronous on purpose:
 * these are tiny kernel-generated files, and a synchronous read costs a few microseconds where a
 * thread-pool round trip costs far more (one full collection of 100 containers stays in the
 * low milliseconds).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { controllerDir, type CgroupLayout } from './layout.js';
import { parseBlkio, parseCpuMax, parseFlatKeyed, parseIoStat, parseSingle, v1CpuQuota, v1Limit, type DeviceIo } from './parse.js';

export interface CpuStats {
  usageSeconds: number;
  userSeconds: number;
  systemSeconds: number;
  periods: number;
  throttledPeriods: number;
  throttledSeconds: number;
  /** CPU quota in cores (e.g. 0.5), null when unlimited. */
  quotaCores: number | null;
}

export interface MemoryStats {
  usage: number;
  /** usage minus inactive file pages: what the kernel cannot reclaim easily (cAdvisor's working set). */
  workingSet: number;
  rss: number;
  cache: number;
  swap: number;
  /** null when unlimited. */
  limit: number | null;
  oomEvents: number;
}

export interface PidsStats {
  current: number;
  limit: number | null;
}

export interface CgroupStats {
  cpu: CpuStats;
  memory: MemoryStats;
  io: DeviceIo[];
  pids: PidsStats;
}

function read(path: string | null): string | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Read every figure; null when the cgroup has gone (the container vanished mid-collection). */
export function readCgroupStats(layout: CgroupLayout, rel: string): CgroupStats | null {
  return layout.version === 2 ? readV2(join(layout.root, rel)) : readV1(layout, rel);
}

function readV2(dir: string): CgroupStats | null {
  const cpuStat = read(join(dir, 'cpu.stat'));
  if (cpuStat === undefined) return null;
  const cpu = parseFlatKeyed(cpuStat);
  const memStat = parseFlatKeyed(read(join(dir, 'memory.stat')) ?? '');
  const usage = parseSingle(read(join(dir, 'memory.current')) ?? '') ?? 0;
  const events = parseFlatKeyed(read(join(dir, 'memory.events')) ?? '');
  const inactiveFile = memStat.get('inactive_file') ?? 0;
  return {
    cpu: {
      usageSeconds: (cpu.get('usage_usec') ?? 0) / 1e6,
      userSeconds: (cpu.get('user_usec') ?? 0) / 1e6,
      systemSeconds: (cpu.get('system_usec') ?? 0) / 1e6,
      periods: cpu.get('nr_periods') ?? 0,
      throttledPeriods: cpu.get('nr_throttled') ?? 0,
      throttledSeconds: (cpu.get('throttled_usec') ?? 0) / 1e6,
      quotaCores: parseCpuMax(read(join(dir, 'cpu.max')) ?? 'max'),
    },
    memory: {
      usage,
      workingSet: Math.max(0, usage - inactiveFile),
      rss: memStat.get('anon') ?? 0,
      cache: memStat.get('file') ?? 0,
      swap: parseSingle(read(join(dir, 'memory.swap.current')) ?? '') ?? 0,
      limit: parseSingle(read(join(dir, 'memory.max')) ?? 'max'),
      oomEvents: events.get('oom_kill') ?? 0,
    },
    io: parseIoStat(read(join(dir, 'io.stat')) ?? ''),
    pids: {
      current: parseSingle(read(join(dir, 'pids.current')) ?? '') ?? 0,
      limit: parseSingle(read(join(dir, 'pids.max')) ?? 'max'),
    },
  };
}

function readV1(layout: CgroupLayout, rel: string): CgroupStats | null {
  const cpuacct = controllerDir(layout, rel, 'cpuacct');
  const cpuDir = controllerDir(layout, rel, 'cpu');
  const memDir = controllerDir(layout, rel, 'memory');
  const blkio = controllerDir(layout, rel, 'blkio');
  const pidsDir = controllerDir(layout, rel, 'pids');
  const p = (dir: string | null, f: string) => (dir ? join(dir, f) : null);

  const usageNs = read(p(cpuacct, 'cpuacct.usage'));
  const memUsage = read(p(memDir, 'memory.usage_in_bytes'));
  if (usageNs === undefined && memUsage === undefined) return null;

  // Kernels since 4.7 give user/system in ns; older ones only in USER_HZ ticks (100 per second).
  const userNs = read(p(cpuacct, 'cpuacct.usage_user'));
  const sysNs = read(p(cpuacct, 'cpuacct.usage_sys'));
  let userSeconds: number;
  let systemSeconds: number;
  if (userNs !== undefined && sysNs !== undefined) {
    userSeconds = Number(userNs) / 1e9;
    systemSeconds = Number(sysNs) / 1e9;
  } else {
    const st = parseFlatKeyed(read(p(cpuacct, 'cpuacct.stat')) ?? '');
    userSeconds = (st.get('user') ?? 0) / 100;
    systemSeconds = (st.get('system') ?? 0) / 100;
  }
  const cpuStat = parseFlatKeyed(read(p(cpuDir, 'cpu.stat')) ?? '');
  const mem = parseFlatKeyed(read(p(memDir, 'memory.stat')) ?? '');
  const oom = parseFlatKeyed(read(p(memDir, 'memory.oom_control')) ?? '');
  const usage = Number(memUsage ?? 0);
  // total_* are hierarchical (the container's whole subtree); plain keys are the cgroup alone.
  const stat = (k: string) => mem.get(`total_${k}`) ?? mem.get(k) ?? 0;

  const blkBytes = read(p(blkio, 'blkio.throttle.io_service_bytes_recursive')) ?? read(p(blkio, 'blkio.throttle.io_service_bytes')) ?? '';
  const blkOps = read(p(blkio, 'blkio.throttle.io_serviced_recursive')) ?? read(p(blkio, 'blkio.throttle.io_serviced')) ?? '';

  return {
    cpu: {
      usageSeconds: Number(usageNs ?? 0) / 1e9,
      userSeconds,
      systemSeconds,
      periods: cpuStat.get('nr_periods') ?? 0,
      throttledPeriods: cpuStat.get('nr_throttled') ?? 0,
      throttledSeconds: (cpuStat.get('throttled_time') ?? 0) / 1e9,
      quotaCores: v1CpuQuota(read(p(cpuDir, 'cpu.cfs_quota_us')) ?? '-1', read(p(cpuDir, 'cpu.cfs_period_us')) ?? '100000'),
    },
    memory: {
      usage,
      workingSet: Math.max(0, usage - stat('inactive_file')),
      rss: stat('rss'),
      cache: stat('cache'),
      swap: stat('swap'),
      limit: v1Limit(read(p(memDir, 'memory.limit_in_bytes')) ?? ''),
      oomEvents: oom.get('oom_kill') ?? 0,
    },
    io: parseBlkio(blkBytes, blkOps),
    pids: {
      current: parseSingle(read(p(pidsDir, 'pids.current')) ?? '') ?? 0,
      limit: parseSingle(read(p(pidsDir, 'pids.max')) ?? 'max'),
    },
  };
}

/** First process id listed in the cgroup (to find the container's network namespace). */
export function firstPid(layout: CgroupLayout, rel: string): number | null {
  const dir = layout.version === 2 ? join(layout.root, rel) : controllerDir(layout, rel, 'pids') ?? controllerDir(layout, rel, 'memory');
  const text = read(dir ? join(dir, 'cgroup.procs') : null);
  if (!text) return null;
  let min: number | null = null;
  for (const l of text.split('\n')) {
    const n = Number(l);
    if (l && Number.isInteger(n) && n > 0 && (min === null || n < min)) min = n;
  }
  return min;
}
