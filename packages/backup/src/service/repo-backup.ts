/**
 * `dockside backup <container> --to <repository>`: one snapshot, in restic's format, of every
 * selected volume and bind mount under its mount path, written by one backup sidecar. The
 * snapshot's hostname is fixed per target (its name, or --host) so the next run finds it as its
 * parent and reads only what changed (restic's rule: type, size, mtime, ctime, inode). Tags name
 * the container, its image and its compose service. --exec, --pause and --stop work as for
 * archives; the target is resumed as soon as every file has been read.
 */
import { BugError, UsageError } from '@dockside/common';
import {
  execInContainer,
  guardResume,
  OutputTail,
  pauseContainer,
  startContainer,
  stopContainer,
  unpauseContainer,
  type ContainerMount,
  type TargetContainer,
} from '@dockside/engine';
import type { SnapshotSummary, SourceSpec } from '../model.js';
import { openHostRepository, type RepositoryAccess } from '../destination/repository.js';
import { resolveDestination, SIDECAR_DIR } from '../destination/resolve.js';
import { hasPolicy } from '../retention.js';
import { commandFailed } from './command-failure.js';
import { runJob, type ServiceContext } from './job-runner.js';
import { ProgressRenderer } from './progress.js';
import type { BackupOptions } from './backup.js';
import { REPO_PASSWORD_FILE } from '../destination/repository.js';

export interface RepositoryBackupResult {
  snapshot: SnapshotSummary;
  repository: string;
}

/** restic tags may not hold commas; a value that does is left out. */
export function snapshotTags(t: TargetContainer): string[] {
  const tags = [`container=${t.name}`, `image=${t.image}`];
  const svc = t.labels['com.docker.compose.service'];
  if (svc) tags.push(`service=${svc}`);
  return tags.filter((x) => !x.includes(','));
}

/** The snapshot hostname of a target: fixed, so each run finds the last one as its parent. */
export function snapshotHost(t: TargetContainer, host?: string): string {
  return host ?? t.name;
}

export async function runRepositoryBackup(
  ctx: ServiceContext,
  opts: BackupOptions & RepositoryAccess & { host?: string },
  target: TargetContainer,
  mounts: ContainerMount[],
  sources: Array<Omit<SourceSpec, 'file'>>,
  repoPath: string,
): Promise<RepositoryBackupResult> {
  if (opts.dump || opts.dumpOnly)
    throw new UsageError('--dump is not supported with a repository destination', { hint: 'back the dump up to an archive directory, or dump into a volume first with --exec' });
  if (hasPolicy(opts))
    throw new UsageError('retention flags apply to a repository through `dockside backup prune`', {
      hint: `run \`dockside backup prune --from ${repoPath} --keep-last N\` after the backup`,
    });
  if (mounts.length === 0) throw new UsageError(`container "${target.name}" has no volumes or bind mounts to back up`);
  // The password is checked here, before the target is touched.
  const opened = await openHostRepository(repoPath, opts, ctx.env);
  const dest = await resolveDestination(opts, ctx.env, 'write');
  const progress = new ProgressRenderer(ctx.progress, 'backing up');
  let resume: (() => Promise<void>) | undefined;
  const resumeOnce = async () => {
    const r = resume;
    resume = undefined;
    if (r) await r();
  };
  try {
    if (opts.exec) {
      const errTail = new OutputTail();
      const code = await execInContainer(ctx.engine, target.id, ['sh', '-c', opts.exec], { stdout: new OutputTail(), stderr: errTail });
      if (code !== 0) throw commandFailed('--exec', target.name, code, errTail);
    }
    if (opts.pause) {
      const guard = guardResume(ctx.engine, target.id, 'backup', 'unpause');
      await pauseContainer(ctx.engine, target.id);
      resume = () => unpauseContainer(ctx.engine, target.id).finally(() => guard.release());
    } else if (opts.stop && target.running) {
      const guard = guardResume(ctx.engine, target.id, 'backup', 'start');
      await stopContainer(ctx.engine, target.id);
      resume = () => startContainer(ctx.engine, target.id).finally(() => guard.release());
    }
    let resumed: Promise<void> | undefined;
    const { result } = await runJob(ctx, {
      job: {
        op: 'repo-backup',
        repository: { root: SIDECAR_DIR, passwordFile: REPO_PASSWORD_FILE },
        sources: sources.map((s) => ({ ...s, file: '' })),
        excludes: opts.excludes,
        hostname: snapshotHost(target, opts.host),
        tags: snapshotTags(target),
      },
      destination: dest,
      target,
      joinVolumes: true,
      capAdd: ['DAC_READ_SEARCH', ...dest.writeCaps],
      files: [opened.file],
      readOnlyDestination: false,
      onEvent: (e) => {
        if (e.type === 'progress' && e.name === 'read-done') {
          resumed = resumeOnce();
          resumed.catch(() => undefined);
        }
        progress.onEvent(e);
      },
    });
    if (resumed) await resumed;
    await resumeOnce();
    progress.done();
    if (!result || !('snapshot' in result)) throw new BugError('the backup sidecar returned no snapshot');
    return { snapshot: result.snapshot, repository: repoPath };
  } catch (err) {
    progress.done();
    await resumeOnce().catch(() => undefined);
    throw err;
  }
}
