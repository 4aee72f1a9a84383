/**
 * `dockside backup ls | verify | prune --from <repository>`, on the host (no sidecar, as for
 * archives' ls and prune): snapshots listed (restic's own too), all data read back and checked,
 * retention applied per container and snapshot paths, then unneeded data removed or repacked under
 * an exclusive lock. The newest snapshot of each group always stays.
 */
import type { CheckProgress, CheckResult, PruneStats, SnapshotEntry } from '@dockside/repository';
import { openHostRepository, type RepositoryAccess } from '../destination/repository.js';
import { applyRetention, type Decision, type RetentionPolicy } from '../retention.js';

export interface SnapshotRow {
  id: string;
  time: string;
  hostname: string;
  /** From the `container=` tag, else the hostname. */
  container: string;
  paths: string[];
  tags: string[];
  parent?: string;
  username: string;
}

function containerOf(s: SnapshotEntry): string {
  const t = (s.snapshot.tags ?? []).find((x) => x.startsWith('container='));
  return t ? t.slice('container='.length) : s.snapshot.hostname;
}

function row(s: SnapshotEntry): SnapshotRow {
  return {
    id: s.id,
    time: s.snapshot.time,
    hostname: s.snapshot.hostname,
    container: containerOf(s),
    paths: s.snapshot.paths,
    tags: s.snapshot.tags ?? [],
    ...(s.snapshot.parent ? { parent: s.snapshot.parent } : {}),
    username: s.snapshot.username,
  };
}

export async function listRepositorySnapshots(path: string, access: RepositoryAccess, env: NodeJS.ProcessEnv, container?: string): Promise<SnapshotRow[]> {
  const { repo } = await openHostRepository(path, access, env);
  const { listSnapshots } = await import('@dockside/repository');
  return (await listSnapshots(repo)).map(row).filter((r) => !container || r.container === container);
}

export type RepositoryVerifyResult = CheckResult & { repository: string };

export async function verifyRepository(path: string, access: RepositoryAccess, env: NodeJS.ProcessEnv, onProgress?: (p: CheckProgress) => void): Promise<RepositoryVerifyResult> {
  const { repo } = await openHostRepository(path, access, env);
  const { checkRepository } = await import('@dockside/repository');
  return { repository: path, ...(await checkRepository(repo, onProgress ? { onProgress } : {})) };
}

export interface RepositoryPruneResult {
  repository: string;
  dryRun: boolean;
  decisions: Decision[];
  stats: PruneStats;
}

export async function pruneRepositorySnapshots(
  path: string,
  access: RepositoryAccess,
  env: NodeJS.ProcessEnv,
  policy: RetentionPolicy,
  opts: { dryRun: boolean; container?: string },
): Promise<RepositoryPruneResult> {
  const { repo } = await openHostRepository(path, access, env);
  const { listSnapshots, pruneRepository } = await import('@dockside/repository');
  const snaps = await listSnapshots(repo);
  // Groups as restic's forget: a container (its tag, else the hostname) and the snapshot's paths.
  const group = (s: SnapshotEntry) => `${containerOf(s)} ${[...s.snapshot.paths].sort().join(',')}`;
  const chosen = snaps.filter((s) => !opts.container || containerOf(s) === opts.container);
  const hasPolicy = Boolean(policy.keepLast || policy.keepDaily || policy.keepWeekly);
  const decided = hasPolicy
    ? applyRetention(
        chosen.map((s) => ({ id: s.id, container: group(s), startedAt: new Date(s.snapshot.time).toISOString() })),
        policy,
      )
    : [];
  const decisions = decided.map((d) => ({ ...d, container: containerOf(snaps.find((s) => s.id === d.id) as SnapshotEntry) }));
  const forget = decisions.filter((d) => !d.keep).map((d) => d.id);
  const stats = await pruneRepository(repo, { forget, dryRun: opts.dryRun });
  return { repository: path, dryRun: opts.dryRun, decisions, stats };
}
