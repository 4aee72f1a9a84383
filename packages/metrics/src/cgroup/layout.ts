/**
 * Where a container's cgroup lives. Handles both hierarchies and both Docker cgroup drivers:
 *   v1 cgroupfs  <root>/<controller>/docker/<id>
 *   v1 systemd   <root>/<controller>/system.slice/docker-<id>.scope
 *   v2 cgroupfs  <root>/docker/<id>
 *   v2 systemd   <root>/system.slice/docker-<id>.scope
 * plus custom `--cgroup-parent`s, found through /proc/<pid>/cgroup or a bounded search.
 * `root` is the host's /sys/fs/cgroup as this process sees it (/host/sys/fs/cgroup in the sidecar).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseProcCgroup } from './parse.js';

export const V1_CONTROLLERS = ['cpu', 'cpuacct', 'memory', 'blkio', 'pids'] as const;
export type V1Controller = (typeof V1_CONTROLLERS)[number];

export type CgroupLayout = { version: 2; root: string } | { version: 1; root: string; dirs: Record<V1Controller, string | null> };

/** Look at the mounted tree once: unified (v2) if the root has cgroup.controllers, else v1. */
export function detectLayout(root: string): CgroupLayout | null {
  if (existsSync(join(root, 'cgroup.controllers'))) return { version: 2, root };
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return null;
  }
  const dirs = {} as Record<V1Controller, string | null>;
  for (const c of V1_CONTROLLERS) {
    // Exact directory first (often a symlink to a co-mounted one), then any co-mount such as cpu,cpuacct.
    const name = entries.includes(c) ? c : entries.find((e) => e.split(',').includes(c));
    dirs[c] = name ? join(root, name) : null;
  }
  if (!dirs.memory && !dirs.cpuacct && !dirs.cpu) return null;
  return { version: 1, root, dirs };
}

/** The directory holding the container's files for one controller (v1) or all of them (v2). */
export function controllerDir(layout: CgroupLayout, rel: string, controller: V1Controller): string | null {
  if (layout.version === 2) return join(layout.root, rel);
  const base = layout.dirs[controller];
  return base ? join(base, rel) : null;
}

/** A directory to test candidate paths against: memory, else cpuacct, else cpu (v1); the root (v2). */
function probeBase(layout: CgroupLayout): string | null {
  if (layout.version === 2) return layout.root;
  return layout.dirs.memory ?? layout.dirs.cpuacct ?? layout.dirs.cpu;
}

export function candidatePaths(id: string, cgroupParent?: string): string[] {
  const out: string[] = [];
  if (cgroupParent) {
    const parent = cgroupParent.replace(/^\/+|\/+$/g, '');
    if (parent.endsWith('.slice')) out.push(`${systemdSlicePath(parent)}/docker-${id}.scope`);
    else out.push(`${parent}/${id}`);
  }
  out.push(`docker/${id}`, `system.slice/docker-${id}.scope`);
  return out;
}

/** systemd expands `a-b.slice` to `a.slice/a-b.slice`. */
function systemdSlicePath(slice: string): string {
  const name = slice.replace(/\.slice$/, '');
  const parts = name.split('-');
  const path: string[] = [];
  for (let i = 1; i <= parts.length; i++) path.push(`${parts.slice(0, i).join('-')}.slice`);
  return path.join('/');
}

export interface FindHints {
  cgroupParent?: string;
  /** A host pid in the container, and where the host's /proc is mounted, to read /proc/<pid>/cgroup. */
  pid?: number;
  procRoot?: string;
}

/**
 * The container's cgroup path relative to the hierarchy root, or null when it is not on this host
 * (vanished, or the engine runs elsewhere).
 */
export function findContainerCgroup(layout: CgroupLayout, id: string, hints: FindHints = {}): string | null {
  const base = probeBase(layout);
  if (!base) return null;
  for (const rel of candidatePaths(id, hints.cgroupParent)) {
    if (existsSync(join(base, rel))) return rel;
  }
  if (hints.pid && hints.procRoot) {
    try {
      const map = parseProcCgroup(readFileSync(join(hints.procRoot, String(hints.pid), 'cgroup'), 'utf8'));
      const rel = (layout.version === 2 ? map.get('') : (map.get('memory') ?? map.get('cpuacct')))?.replace(/^\/+/, '');
      // Paths starting with /.. come from inside another cgroup namespace: useless here.
      if (rel && !rel.startsWith('..') && existsSync(join(base, rel))) return rel;
    } catch {
      /* process gone or /proc not ours: fall through to the search */
    }
  }
  return searchFor(base, id, 3);
}

/** Breadth-first search (bounded depth) for a directory named after the id. */
function searchFor(base: string, id: string, depth: number): string | null {
  let level: string[] = [''];
  for (let d = 0; d < depth && level.length; d++) {
    const next: string[] = [];
    for (const rel of level) {
      let entries: import('node:fs').Dirent[];
      try {
        entries = readdirSync(join(base, rel), { withFileTypes: true });
      } catch {
        continue;
      }
      for (const e of entries) {
        if (!e.isDirectory()) continue;
        const child = rel ? `${rel}/${e.name}` : e.name;
        if (e.name === id || e.name === `docker-${id}.scope` || e.name.endsWith(`-${id}.scope`)) return child;
        next.push(child);
      }
    }
    level = next.slice(0, 2000);
  }
  return null;
}
