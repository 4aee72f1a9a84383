/**
 * One full collection: for every container, its cgroup figures, plus network counters read once per
 * network namespace from /proc/<pid>/net/dev. Shared by the CLI (reading this host's /sys/fs/cgroup
 * and /proc) and the exporter sidecar (the host's trees mounted read-only under /host).
 *
 * Stateless apart from the PathCache the caller owns (container id -> cgroup path), so lookups are
 * paid once per container, not once per collection.
 */
import { statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectLayout, findContainerCgroup, type CgroupLayout } from './cgroup/layout.js';
import { parseNetDevFull, type DeviceIo, type NetIface } from './cgroup/parse.js';
import { firstPid, readCgroupStats, type CgroupStats } from './cgroup/read.js';

export interface CollectTarget {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  /** `container:<id>` for containers joined to another's network namespace, `host`, ... */
  networkMode?: string;
  cgroupParent?: string;
  /**
   * A host pid in the container (State.Pid). Needed where cgroup.procs cannot tell: a reader in
   * another PID namespace (the sidecar) sees no pids there. Defaults to the lowest pid listed.
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

export interface CollectorState {
  paths: HostPaths;
  layout: CgroupLayout;
  /** id -> cgroup path relative to the hierarchy root. */
  cache: Map<string, string>;
  /**
   * Whether pids read from cgroup.procs are host pids. Not in a container with its own PID
   * namespace: the kernel lists only the pids visible there, in its own numbering.
   */
  hostPids: boolean;
}

/** Look at the host's cgroup mount; null when there is none (e.g. the engine runs elsewhere). */
export function createCollector(paths: HostPaths, opts: { hostPids?: boolean } = {}): CollectorState | null {
  const layout = detectLayout(paths.cgroupRoot);
  return layout ? { paths, layout, cache: new Map(), hostPids: opts.hostPids ?? true } : null;
}

/** Where a container's cgroup is, cached. null when it is not on this host. */
export function locate(state: CollectorState, t: CollectTarget): string | null {
  const hit = state.cache.get(t.id);
  if (hit) return hit;
  const rel = findContainerCgroup(state.layout, t.id, { ...(t.cgroupParent ? { cgroupParent: t.cgroupParent } : {}), procRoot: state.paths.procRoot });
  if (rel) state.cache.set(t.id, rel);
  return rel;
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
    const rel = locate(state, t);
    if (!rel) continue;
    const stats = readCgroupStats(state.layout, rel);
    if (!stats) {
      state.cache.delete(t.id);
      continue;
    }
    let network: NetworkStats | null = null;
    const pid = t.pid || (state.hostPids ? firstPid(state.layout, rel) : null);
    const key = pid ? netnsKey(state.paths.procRoot, pid) : null;
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
        }
      }
    }
    out.push({ id: t.id, name: t.name, image: t.image, labels: t.labels, cgroupPath: rel, ...stats, network });
  }
  // Forget paths of containers that are gone, so the cache stays bounded.
  for (const id of state.cache.keys()) if (!live.has(id)) state.cache.delete(id);
  out.sort((a, b) => a.name.localeCompare(b.name));
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
