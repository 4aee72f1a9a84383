/**
 * `dockside restore <container> --from <repository>`: a snapshot (dockside's or restic's own)
 * restored into the target's mounts, each snapshot path into the mount at that path (or one path
 * into a new volume with --into-volume). The sidecar stages every directory on its volume, checking
 * every blob, and swaps only when all were restored whole: a damaged repository changes nothing.
 */
import { NotFoundError, UsageError, UserError } from '@dockside/common';
import { containersUsingVolume, createNamedVolume, inspectVolume, type TargetContainer } from '@dockside/engine';
import type { SnapshotEntry } from '@dockside/repository';
import type { RepoRestoreItem } from '../model.js';
import { openHostRepository, REPO_PASSWORD_FILE } from '../destination/repository.js';
import { resolveDestination, SIDECAR_DIR } from '../destination/resolve.js';
import { mountIdentity, nestedMounts } from './backup.js';
import { runJob, type ServiceContext } from './job-runner.js';
import { ProgressRenderer } from './progress.js';
import { whileStopped, type RestoreOptions, type RestoreResult } from './restore.js';

const RESTORE_CAPS = ['CHOWN', 'FOWNER', 'DAC_OVERRIDE', 'FSETID', 'SETFCAP', 'MKNOD'];
const INTO_PATH = '/restore/volume';

/** The snapshot `ref` names: an id (prefix), or `latest` of this container (its tag or its hostname). */
export function pickSnapshot(snaps: SnapshotEntry[], ref: string, target: TargetContainer, host?: string): SnapshotEntry {
  if (ref === 'latest') {
    const mine = snaps.filter((s) => s.snapshot.hostname === (host ?? target.name) || (s.snapshot.tags ?? []).includes(`container=${target.name}`));
    const last = mine[mine.length - 1];
    if (!last)
      throw new NotFoundError(`the repository holds no snapshot of container "${target.name}"`, {
        hint: snaps.length ? 'name one with --id (`dockside backup ls --from <repository>` lists them)' : 'back it up first: dockside backup <container> --to <repository>',
      });
    return last;
  }
  const m = snaps.filter((s) => s.id.startsWith(ref));
  if (m.length === 1) return m[0] as SnapshotEntry;
  throw new NotFoundError(m.length ? `snapshot id ${ref} is ambiguous (${m.length} snapshots start with it)` : `the repository holds no snapshot ${ref}`, {
    hint: m.length ? 'give more of the id' : '`dockside backup ls --from <repository>` lists them',
  });
}

export async function runRepositoryRestore(ctx: ServiceContext, opts: RestoreOptions, target: TargetContainer, repoPath: string): Promise<RestoreResult> {
  if (opts.load) throw new UsageError('--load restores a dump; a repository holds no dumps', { hint: 'restore the volumes without --load' });
  const opened = await openHostRepository(repoPath, opts, ctx.env);
  const { listSnapshots } = await import('@dockside/repository');
  const snap = pickSnapshot(await listSnapshots(opened.repo), opts.id, target, opts.host);
  let paths = [...snap.snapshot.paths].sort();
  if (opts.volumes.length) {
    paths = opts.volumes.map((v) => {
      const mount = target.mounts.find((m) => m.name === v || m.destination === v);
      const p = paths.find((x) => x === v || x === mount?.destination);
      if (!p) throw new NotFoundError(`snapshot ${snap.id.slice(0, 8)} holds no "${v}"`, { hint: `it holds: ${snap.snapshot.paths.join(', ')}` });
      return p;
    });
  }
  let items: RepoRestoreItem[];
  let mounts: Array<{ type: 'volume'; source: string; target: string }> = [];
  if (opts.intoVolume) {
    if (paths.length !== 1)
      throw new UsageError(`--into-volume takes one path; snapshot ${snap.id.slice(0, 8)} holds ${paths.length}`, { hint: `pick one with --volume: ${paths.join(', ')}` });
    const existing = await inspectVolume(ctx.engine, opts.intoVolume);
    if (existing && !opts.yes)
      throw new UsageError(`volume "${opts.intoVolume}" already exists; restoring replaces its contents`, { hint: 'pass --yes to replace it, or name a new volume' });
    const users = existing ? await containersUsingVolume(ctx.engine, opts.intoVolume) : [];
    if (users.length && !opts.force)
      throw new UsageError(`volume "${opts.intoVolume}" is mounted by running container${users.length > 1 ? 's' : ''} ${users.map((u) => `"${u}"`).join(', ')}`, {
        hint: 'stop it first, name a new volume, or pass --force',
      });
    if (!existing) await createNamedVolume(ctx.engine, opts.intoVolume, { 'dockside.restored-from': snap.id });
    items = [{ from: paths[0] as string, path: INTO_PATH }];
    mounts = [{ type: 'volume', source: opts.intoVolume, target: INTO_PATH }];
  } else {
    const into = new Set<string>();
    items = paths.map((p) => {
      const m = target.mounts.find((x) => x.destination === p);
      if (!m)
        throw new UserError(`container "${target.name}" has no mount at ${p} (a path of snapshot ${snap.id.slice(0, 8)})`, {
          hint: 'restore it with --volume <path> --into-volume <new-volume>, or into a container that mounts it there',
        });
      if (m.readOnly)
        throw new UserError(`container "${target.name}" mounts ${m.destination} read-only; cannot restore into it`, { hint: 'restore it with --into-volume <new-volume> instead' });
      if (into.has(mountIdentity(m)))
        throw new UserError(`two paths of snapshot ${snap.id.slice(0, 8)} would restore into ${m.type === 'volume' ? `volume ${m.name}` : m.source}`, {
          hint: `restore one of them: --volume ${p}`,
        });
      into.add(mountIdentity(m));
      const nested = nestedMounts(target, m);
      const excludes = snap.snapshot.excludes ?? [];
      return {
        from: p,
        path: p,
        ...(nested.length ? { nested } : {}),
        ...(excludes.length ? { excludes: excludes.map((x) => (x.startsWith(`${p}/`) ? x.slice(p.length) : x)) } : {}),
      };
    });
    if (!opts.yes) {
      const what = `This replaces everything in ${items.map((t) => t.path).join(', ')} of container "${target.name}" with snapshot ${snap.id.slice(0, 8)}.`;
      const ok = opts.confirm ? await opts.confirm(`${what} Continue? [y/N] `) : false;
      if (!ok) throw new UsageError(opts.confirm ? 'restore cancelled' : `${what} Pass --yes to confirm`);
    }
  }
  const dest = await resolveDestination(opts, ctx.env, 'read');
  const { stopped } = await whileStopped(
    ctx,
    target,
    opts,
    items.map((t) => t.path),
    async () => {
      const progress = new ProgressRenderer(ctx.progress, 'restoring');
      try {
        await runJob(ctx, {
          job: { op: 'repo-restore', repository: { root: SIDECAR_DIR, passwordFile: REPO_PASSWORD_FILE }, snapshot: snap.id, items },
          destination: dest,
          target,
          joinVolumes: !opts.intoVolume,
          capAdd: RESTORE_CAPS,
          mounts,
          files: [opened.file],
          // Read-write: the restore takes a non-exclusive lock, as restic's does.
          readOnlyDestination: false,
          onEvent: (e) => progress.onEvent(e),
        });
      } finally {
        progress.done();
      }
    },
  );
  return {
    id: snap.id,
    container: target.name,
    restored: items.map((t) => ({ file: t.from, into: opts.intoVolume ? `volume ${opts.intoVolume}` : t.path })),
    stopped,
  };
}
