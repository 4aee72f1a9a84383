/** Snapshot files (`snapshots/<id>`): restic 0.14's fields, and finding a backup's parent. */
import type { Repository } from './repository.js';
import { parseGoTime } from './json.js';

export interface Snapshot {
  time: string;
  parent?: string;
  tree: string;
  paths: string[];
  hostname: string;
  username: string;
  uid?: number;
  gid?: number;
  excludes?: string[];
  tags?: string[];
  original?: string;
}

export interface SnapshotEntry {
  id: string;
  snapshot: Snapshot;
}

export async function listSnapshots(repo: Repository): Promise<SnapshotEntry[]> {
  const out: SnapshotEntry[] = [];
  for (const f of await repo.backend.list('snapshot')) out.push({ id: f.name, snapshot: await repo.loadJson<Snapshot>('snapshot', f.name) });
  return out.sort((a, b) => (parseGoTime(a.snapshot.time) < parseGoTime(b.snapshot.time) ? -1 : 1));
}

const samePaths = (a: string[], b: string[]) => a.length === b.length && [...a].sort().every((p, i) => p === [...b].sort()[i]);

/** The latest snapshot with this hostname and these paths (restic's rule for a backup's parent). */
export function findParent(snaps: SnapshotEntry[], hostname: string, paths: string[]): SnapshotEntry | undefined {
  let best: SnapshotEntry | undefined;
  for (const s of snaps) {
    if (s.snapshot.hostname !== hostname || !samePaths(s.snapshot.paths ?? [], paths)) continue;
    if (!best || parseGoTime(s.snapshot.time) > parseGoTime(best.snapshot.time)) best = s;
  }
  return best;
}

/** A snapshot by id or unique id prefix, or `latest`. */
export async function findSnapshot(repo: Repository, ref: string): Promise<SnapshotEntry | undefined> {
  const snaps = await listSnapshots(repo);
  if (ref === 'latest') return snaps[snaps.length - 1];
  const m = snaps.filter((s) => s.id.startsWith(ref));
  return m.length === 1 ? m[0] : undefined;
}
