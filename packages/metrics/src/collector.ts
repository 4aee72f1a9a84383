/**
 * One full collection: for every container, its cgroup figures, plus network counters read once per
 * network namespace from /proc/<pid>/net/dev. Shared by the CLI (reading this host's /sys/fs/cgroup
 * and /proc) and the exporter sidecar (the host's trees mounted read-only under /host).
 *
 * Stateless apart from the PathCache the caller owns (container id -> cgroup path), so lookups are
 * paid once per container, not once per collection.
 */
import { statSync, readFileSync } from 'node:fs';
import { UserError, naturalCompare } from '@dockside/common';
import { join } from 'node:path';
import { detectLayout, findContainerCgroup, type CgroupLayout } from './cgroup/layout.js';
import { parseNetDevFull, type DeviceIo, type NetIface } from './cgroup/parse.js';
import { createScratch, listsPid, readCgroupStats, specOf, type CgroupStats, type SpecFigures } from './cgroup/read.js';

export interface CollectTarget {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  /** `container:<id>` for containers joined to another's network namespace, `host`, ... */
  networkMode?: string;
  cgroupParent?: string;
  /**
   * The host pid of the container's main process (the engine's State.Pid): whose network namespace
   * is the container's. Without it there are no network figures: the lowest pid in cgroup.procs is
   * no stand-in (after PIDs wrap it may be a short-lived child, or one in a namespace of its own).
   */
  pid?: number;
}

export interface HostPaths {
  /** The host's cgroup mount, e.g. /sys/fs/cgroup or /host/sys/fs/cgroup. */
  cgroupRoot: string;
  /** The host's /proc, e.g. /proc or /host/proc. */
  procRoot: string;
}

export const LOCAL_PATHS: HostPaths = { cgroupRoot: '/sys/fs/cgroup', procRoot: '/proc' };
export const SIDECAR_PATHS: HostPaths = { cgroupRoot: '/host/sys/fs/cgroup', procRoot: '/host/proc' };

export interface NetworkStats {
  /** Identity of the network namespace (inode of its /proc/<pid>/net/dev). */
  netns: string;
  /** Set on every container of a shared namespace except the one that reports the counters. */
  sharedWith?: string;
  /** The host's own namespace (`--network host`): counters are the host's, not reported. */
  host?: boolean;
  interfaces: NetIface[];
}

export interface ContainerMetrics extends CgroupStats {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  cgroupPath: string;
  network: NetworkStats | null;
}

export interface Collection {
  /** Wall clock (ms since epoch). */
  timestamp: number;
  /** Monotonic clock (ms), for rates. */
  monotonicMs: number;
  cgroupVersion: 1 | 2;
  containers: ContainerMetrics[];
  /** How long reading took (ms). */
  durationMs: number;
}

/** What is remembered per container between collections. */
export interface CacheEntry {
  /** cgroup path relative to the hierarchy root. */
  rel: string;
  /** Limits, re-read every SPEC_TTL_MS (they change only on `docker update`). */
  spec?: SpecFigures;
  specAt?: number;
  /** The main process's host pid last read through, and its network namespace key. */
  pid?: number | undefined;
  netns?: string | null | undefined;
}

/** How long a container whose cgroup was not found is not searched for again. */
export const MISS_TTL_MS = 10_000;

/** How long limits read from the cgroup are reused before being read again. */
export const SPEC_TTL_MS = 30_000;

export interface CollectorState {
  paths: HostPaths;
  layout: CgroupLayout;
  /** id -> what was found out about it. */
  cache: Map<string, CacheEntry>;
  /**
   * Whether pids read from cgroup.procs are host pids. Not in a container with its own PID
   * namespace: the kernel lists only the pids visible there, in its own numbering.
   */
  hostPids: boolean;
  /** Scratch buffer for reading kernel files (collections are synchronous, so one is enough). */
  scratch: Buffer;
  /** id -> when its cgroup was last looked for in vain (the search is not repeated for a while). */
  misses: Map<string, number>;
  /**
   * id -> State.Pid, for a caller that looks pids up itself (the CLI: one inspect per container,
   * not one per collection). collect() drops an entry whose process is no longer the container's
   * (a restart: gone, or not in its cgroup.procs), so the caller looks that one up again.
   */
  mainPids: Map<string, number>;
}

/** There is no cgroup file system where the collector looks: the host's was not mounted there. */
export class NoCgroupError extends UserError {
  override readonly name = 'NoCgroupError';
  constructor(cgroupRoot: string) {
    super(`no cgroup file system at ${cgroupRoot}`, {
      exitCode: 2,
      code: 'ENOCGROUP',
      hint: "mount the host's /sys/fs/cgroup there read-only (dockside does this for its metrics sidecar; an engine policy or a rootless engine may hide it)",
    });
  }
}

/** Look at the host's cgroup mount; null when there is none (e.g. the engine runs elsewhere). */
export function createCollector(paths: HostPaths, opts: { hostPids?: boolean } = {}): CollectorState | null {
  const layout = detectLayout(paths.cgroupRoot);
  return layout ? { paths, layout, cache: new Map(), hostPids: opts.hostPids ?? true, scratch: createScratch(), misses: new Map(), mainPids: new Map() } : null;
}

/** Where a container's cgroup is, cached. null when it is not on this host. */
export function locate(state: CollectorState, t: CollectTarget): string | null {
  return entryFor(state, t)?.rel ?? null;
}

function entryFor(state: CollectorState, t: CollectTarget): CacheEntry | null {
  const hit = state.cache.get(t.id);
  if (hit) return hit;
  const missed = state.misses.get(t.id);
  if (missed !== undefined && performance.now() - missed < MISS_TTL_MS) return null;
  const rel = findContainerCgroup(state.layout, t.id, { ...(t.cgroupParent ? { cgroupParent: t.cgroupParent } : {}), procRoot: state.paths.procRoot });
  if (!rel) {
    state.misses.set(t.id, performance.now());
    return null;
  }
  state.misses.delete(t.id);
  const e: CacheEntry = { rel };
  state.cache.set(t.id, e);
  return e;
}

function netnsKey(procRoot: string, pid: number): string | null {
  // The inode of /proc/<pid>/net/dev is per network namespace (each namespace has its own proc
  // entries), and unlike readlink(/proc/<pid>/ns/net) stat needs no ptrace rights over the
  // container's processes, so the sidecar can run with every capability dropped.
  try {
    return `netns:${statSync(join(procRoot, String(pid), 'net', 'dev')).ino}`;
  } catch {
    return null;
  }
}

/**
 * Collect every target. Containers whose cgroup cannot be found or vanishes mid-read are left out
 * (no partial series); the returned list holds only complete readings.
 */
export function collect(state: CollectorState, targets: CollectTarget[], now = Date.now): Collection {
  const t0 = performance.now();
  const hostNetns = netnsKey(state.paths.procRoot, 1);
  const seenNetns = new Map<string, string>();
  const out: ContainerMetrics[] = [];
  const live = new Set<string>();

  // Containers with their own namespace first, so that a namespace is reported by its owner and
  // not by a container joined to it with --net container:.
  const ordered = [...targets].sort((a, b) => joined(a) - joined(b) || a.id.localeCompare(b.id));
  for (const t of ordered) {
    live.add(t.id);
    const entry = entryFor(state, t);
    if (!entry) continue;
    const rel = entry.rel;
    const fresh = entry.spec && entry.specAt !== undefined && t0 - entry.specAt < SPEC_TTL_MS;
    const stats = readCgroupStats(state.layout, rel, fresh ? entry.spec : undefined, state.scratch);
    if (!stats) {
      state.cache.delete(t.id);
      continue;
    }
    if (!fresh) {
      entry.spec = specOf(stats);
      entry.specAt = t0;
    }
    let network: NetworkStats | null = null;
    // The main process (State.Pid) and its namespace are remembered while it runs. Where pids are
    // the host's, it is checked against cgroup.procs every time: after a restart the old pid is
    // gone, or reused by some other process, and must not be read.
    let pid = t.pid && t.pid > 0 ? t.pid : 0;
    if (pid && state.hostPids && listsPid(state.layout, rel, pid) === false) {
      state.mainPids.delete(t.id);
      pid = 0;
    }
    const key = pid ? (pid === entry.pid && entry.netns !== undefined ? entry.netns : netnsKey(state.paths.procRoot, pid)) : null;
    if (pid) {
      entry.pid = pid;
      entry.netns = key;
    } else {
      entry.pid = undefined;
      entry.netns = undefined;
    }
    if (pid && !key) state.mainPids.delete(t.id);
    if (pid && key) {
      if (key === hostNetns) network = { netns: key, host: true, interfaces: [] };
      else if (seenNetns.has(key)) network = { netns: key, sharedWith: seenNetns.get(key) as string, interfaces: [] };
      else {
        try {
          const text = readFileSync(join(state.paths.procRoot, String(pid), 'net', 'dev'), 'utf8');
          network = { netns: key, interfaces: parseNetDevFull(text).filter((i) => i.iface !== 'lo') };
          seenNetns.set(key, t.id);
        } catch {
          network = null; // process exited between the two reads
          entry.pid = undefined;
          entry.netns = undefined;
          state.mainPids.delete(t.id);
        }
      }
    }
    out.push({ id: t.id, name: t.name, image: t.image, labels: t.labels, cgroupPath: rel, ...stats, network });
  }
  // Forget paths of containers that are gone, so the cache stays bounded.
  for (const id of state.cache.keys()) if (!live.has(id)) state.cache.delete(id);
  for (const id of state.misses.keys()) if (!live.has(id)) state.misses.delete(id);
  out.sort((a, b) => naturalCompare(a.name, b.name));
  return {
    timestamp: now(),
    monotonicMs: performance.now(),
    cgroupVersion: state.layout.version,
    containers: out,
    durationMs: performance.now() - t0,
  };
}

function joined(t: CollectTarget): number {
  return t.networkMode?.startsWith('container:') ? 1 : 0;
}

export type { DeviceIo, NetIface };
