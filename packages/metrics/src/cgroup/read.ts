/**
 * Reading one container's cgroup files into layout-independent figures. Synchronous on purpose:
 * these are tiny kernel-generated files, and a synchronous read costs a few microseconds where a
 * thread-pool round trip costs far more (one full collection of 100 containers stays in the
 * low milliseconds).
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { controllerDir, type CgroupLayout } from './layout.js';
import { parseBlkio, parseCpuMax, parseFlatKeyed, parseIoStat, parseSingle, parseUsageAll, v1CpuQuota, v1Limit, type DeviceIo } from './parse.js';

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

/** Configured limits: they change only on `docker update`, so callers may reuse them for a while. */
export interface SpecFigures {
  quotaCores: number | null;
  memoryLimit: number | null;
  pidsLimit: number | null;
}

export interface CgroupStats {
  cpu: CpuStats;
  memory: MemoryStats;
  io: DeviceIo[];
  pids: PidsStats;
}

/**
 * Read a small kernel file: open, one read into a reused scratch buffer, close (no fstat, no
 * per-file allocation: about a quarter cheaper than readFileSync on cgroupfs). Falls back to
 * readFileSync for the rare file that does not fit.
 */
function readWith(scratch: Buffer | undefined, path: string | null): string | undefined {
  if (!path) return undefined;
  try {
    if (!scratch) return readFileSync(path, 'utf8');
    const fd = openSync(path, 'r');
    try {
      const n = readSync(fd, scratch, 0, scratch.length, 0);
      if (n < scratch.length) return scratch.toString('latin1', 0, n);
    } finally {
      closeSync(fd);
    }
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function createScratch(): Buffer {
  return Buffer.allocUnsafe(64 * 1024);
}

/**
 * Read every figure; null when the cgroup has gone (the container vanished mid-collection).
 * With `spec`, the limit files are not read again and those figures are reused.
 */
export function readCgroupStats(layout: CgroupLayout, rel: string, spec?: SpecFigures, scratch?: Buffer): CgroupStats | null {
  const read = (path: string | null) => readWith(scratch, path);
  return layout.version === 2 ? readV2(read, join(layout.root, rel), spec) : readV1(read, layout, rel, spec);
}

type Reader = (path: string | null) => string | undefined;

export function specOf(s: CgroupStats): SpecFigures {
  return { quotaCores: s.cpu.quotaCores, memoryLimit: s.memory.limit, pidsLimit: s.pids.limit };
}

function readV2(read: Reader, dir: string, spec?: SpecFigures): CgroupStats | null {
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
      quotaCores: spec ? spec.quotaCores : parseCpuMax(read(join(dir, 'cpu.max')) ?? 'max'),
    },
    memory: {
      usage,
      workingSet: Math.max(0, usage - inactiveFile),
      rss: memStat.get('anon') ?? 0,
      cache: memStat.get('file') ?? 0,
      swap: parseSingle(read(join(dir, 'memory.swap.current')) ?? '') ?? 0,
      limit: spec ? spec.memoryLimit : parseSingle(read(join(dir, 'memory.max')) ?? 'max'),
      oomEvents: events.get('oom_kill') ?? 0,
    },
    io: parseIoStat(read(join(dir, 'io.stat')) ?? ''),
    pids: {
      current: parseSingle(read(join(dir, 'pids.current')) ?? '') ?? 0,
      limit: spec ? spec.pidsLimit : parseSingle(read(join(dir, 'pids.max')) ?? 'max'),
    },
  };
}

function readV1(read: Reader, layout: CgroupLayout, rel: string, spec?: SpecFigures): CgroupStats | null {
  const cpuacct = controllerDir(layout, rel, 'cpuacct');
  const cpuDir = controllerDir(layout, rel, 'cpu');
  const memDir = controllerDir(layout, rel, 'memory');
  const blkio = controllerDir(layout, rel, 'blkio');
  const pidsDir = controllerDir(layout, rel, 'pids');
  const p = (dir: string | null, f: string) => (dir ? join(dir, f) : null);

  const usageNs = read(p(cpuacct, 'cpuacct.usage'));
  const memUsage = read(p(memDir, 'memory.usage_in_bytes'));
  if (usageNs === undefined && memUsage === undefined) return null;

  // Kernels since 4.7 give user/system per CPU in ns in one file (the sums are cpuacct.usage_user
  // and cpuacct.usage_sys); older ones only in USER_HZ ticks (100 per second).
  const all = read(p(cpuacct, 'cpuacct.usage_all'));
  let userSeconds: number;
  let systemSeconds: number;
  if (all !== undefined) {
    const { user, system } = parseUsageAll(all);
    userSeconds = user / 1e9;
    systemSeconds = system / 1e9;
  } else if (read(p(cpuacct, 'cpuacct.usage_user')) !== undefined) {
    userSeconds = Number(read(p(cpuacct, 'cpuacct.usage_user')) ?? 0) / 1e9;
    systemSeconds = Number(read(p(cpuacct, 'cpuacct.usage_sys')) ?? 0) / 1e9;
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
      quotaCores: spec ? spec.quotaCores : v1CpuQuota(read(p(cpuDir, 'cpu.cfs_quota_us')) ?? '-1', read(p(cpuDir, 'cpu.cfs_period_us')) ?? '100000'),
    },
    memory: {
      usage,
      workingSet: Math.max(0, usage - stat('inactive_file')),
      rss: stat('rss'),
      cache: stat('cache'),
      swap: stat('swap'),
      limit: spec ? spec.memoryLimit : v1Limit(read(p(memDir, 'memory.limit_in_bytes')) ?? ''),
      oomEvents: oom.get('oom_kill') ?? 0,
    },
    io: parseBlkio(blkBytes, blkOps),
    pids: {
      current: parseSingle(read(p(pidsDir, 'pids.current')) ?? '') ?? 0,
      limit: spec ? spec.pidsLimit : parseSingle(read(p(pidsDir, 'pids.max')) ?? 'max'),
    },
  };
}

/** First process id listed in the cgroup (to find the container's network namespace). */
/**
 * Whether `pid` is listed in the cgroup's cgroup.procs (host pids, as the kernel numbers them for a
 * reader in the host's PID namespace); null when the file cannot be read.
 */
export function listsPid(layout: CgroupLayout, rel: string, pid: number): boolean | null {
  const dir = layout.version === 2 ? join(layout.root, rel) : (controllerDir(layout, rel, 'pids') ?? controllerDir(layout, rel, 'memory'));
  const text = readWith(undefined, dir ? join(dir, 'cgroup.procs') : null);
  if (text === undefined) return null;
  const want = String(pid);
  return text.split('\n').some((l) => l === want);
}
