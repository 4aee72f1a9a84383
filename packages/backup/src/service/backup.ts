/**
 * `dockside backup`: one sidecar joined to the target's volumes streams each volume and bind mount
 * (tar -> compression -> sha256 -> destination) and commits a manifest last. Around it: --exec in the
 * target first, --dump streamed from the target into the backup, --pause/--stop while volumes are
 * read, retention after success. On failure the half-written backup is removed at once (and, if
 * the process dies, by the next run).
 */
import { commandFailed } from './command-failure.js';
import { randomBytes } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { basename, dirname, resolve as resolvePath } from 'node:path';
import { parseDestination } from '../destination/parse.js';
import { PassThrough } from 'node:stream';
import { IN_PROGRESS_FILE } from '../model.js';
import type { Destination } from '../destination/destination.js';
import { BugError, NotFoundError, UsageError, UserError } from '@dockside/common';
import type { BackupJobResult } from '../events.js';
import {
  LABEL,
  execInContainer,
  guardResume,
  pauseContainer,
  resolveContainer,
  runningLabelValues,
  startContainer,
  stopContainer,
  unpauseContainer,
  type ContainerMount,
  OutputTail,
  type TargetContainer,
} from '@dockside/engine';
import { defaultLevel, type ArchiveInfo, type BackupJob, type Compression, type Manifest, type SourceSpec } from '../model.js';
import { backupId, dumpArchiveName, uniqueNames, volumeArchiveName } from '../naming.js';
import { hasPolicy, type RetentionPolicy } from '../retention.js';
import { pruneDestination, type PruneResult } from './catalog.js';
import { resolveDestination, type DestinationOptions } from '../destination/resolve.js';
import { ProgressRenderer } from './progress.js';
import { repositoryPath } from '../destination/repository.js';
import { runRepositoryBackup, type RepositoryBackupResult } from './repo-backup.js';
import { BACKUP_ID_LABEL, runJob, type ServiceContext } from './job-runner.js';

export interface BackupOptions extends DestinationOptions, RetentionPolicy {
  container: string;
  volumes: string[];
  excludes: string[];
  /** Fail when a file changes while it is read (GNU tar's "file changed as we read it"), instead of warning. */
  strict?: boolean;
  compression: Compression;
  level?: number;
  pause: boolean;
  stop: boolean;
  exec?: string;
  dump?: string;
  dumpAs?: string;
  dumpOnly: boolean;
  /** A repository destination's password file (else RESTIC_PASSWORD_FILE, else RESTIC_PASSWORD). */
  passwordFile?: string;
  /** A repository snapshot's hostname (default: the container's name). */
  host?: string;
}

export interface BackupResult {
  manifest: Manifest;
  prune?: PruneResult;
  /** Retention failed after the backup committed: the backup stays, the error is reported. */
  pruneError?: { message: string; hint?: string };
}

/** What a mount stores into: one volume (by name) or one host directory, however often mounted. */
export function mountIdentity(m: ContainerMount): string {
  return m.type === 'volume' ? `volume:${m.name}` : `${m.type}:${m.source}`;
}

/**
 * Mounts of the target a backup covers: named volumes and bind mounts, narrowed by --volume, each
 * stored once: a volume mounted twice, or named twice (`--volume data --volume /data`), gives one
 * archive (of its first mount point), so a restore never writes two archives into one volume.
 */
export function selectMounts(t: TargetContainer, wanted: string[]): ContainerMount[] {
  // In mount-path order: the engine lists mounts in no stable order, and archives (and which
  // mount point of a volume mounted twice is archived) must not change from run to run.
  const all = t.mounts.filter((m) => m.type === 'volume' || m.type === 'bind').sort((a, b) => (a.destination < b.destination ? -1 : a.destination > b.destination ? 1 : 0));
  const seen = new Set<string>();
  const once = (list: ContainerMount[]) => list.filter((m) => !seen.has(mountIdentity(m)) && seen.add(mountIdentity(m)));
  if (wanted.length === 0) return once(all);
  return once(
    wanted.map((w) => {
      const hit = all.find((m) => m.name === w || m.destination === w || m.source === w);
      if (!hit) {
        throw new NotFoundError(`container "${t.name}" has no volume or mount "${w}"`, {
          hint: all.length
            ? `its mounts: ${all.map((m) => (m.type === 'volume' ? `${m.name} (${m.destination})` : m.destination)).join(', ')}`
            : 'it has no volumes or bind mounts',
        });
      }
      return hit;
    }),
  );
}

/**
 * --exclude patterns for one mount: a pattern in the mount-path form (`/data/cache`) is anchored
 * to that mount (`/cache`); the others apply to every mount as they are.
 */
export function excludesFor(mountPoint: string, patterns: readonly string[]): string[] {
  const base = mountPoint.replace(/\/+$/, '');
  return patterns.map((p) => (p.startsWith(`${base}/`) ? p.slice(base.length) : p));
}

/**
 * Mount points of `t` inside mount `m`, relative to it: those under its own mount point, and
 * those under any other mount point of the same volume (a mount on /data/inner makes `inner` busy
 * in /again too when /again is the same volume: the kernel refuses to rename it from either).
 */
export function nestedMounts(t: TargetContainer, m: ContainerMount): string[] {
  const id = mountIdentity(m);
  const bases = t.mounts.filter((x) => x === m || mountIdentity(x) === id).map((x) => x.destination.replace(/\/+$/, ''));
  const out = new Set<string>();
  for (const base of bases) {
    for (const x of t.mounts) {
      const d = x.destination.replace(/\/+$/, '');
      if (d.startsWith(`${base}/`)) out.add(d.slice(base.length + 1));
    }
  }
  return [...out].sort();
}

/**
 * A destination directory inside a mount being backed up would archive earlier backups and its
 * own lease, and a restore would wipe them: refused (exit 2), with the mount named.
 */
async function refuseDestinationInside(destPath: string, mounts: ContainerMount[]): Promise<void> {
  const real = async (p: string): Promise<string> => {
    // The nearest existing ancestor's real path, plus the rest (the destination may not exist yet).
    let cur = resolvePath(p);
    const rest: string[] = [];
    for (;;) {
      try {
        return [await realpath(cur), ...rest].join('/').replace(/\/+/g, '/');
      } catch {
        const up = dirname(cur);
        if (up === cur) return p;
        rest.unshift(basename(cur));
        cur = up;
      }
    }
  };
  const dest = await real(destPath);
  for (const m of mounts) {
    if (!m.source) continue;
    const src = await real(m.source);
    const inside = (a: string, b: string) => a === b || a.startsWith(`${b.replace(/\/+$/, '')}/`);
    if (inside(dest, src) || inside(src, dest)) {
      throw new UsageError(
        `backup destination ${destPath} is ${inside(dest, src) ? 'inside' : 'around'} the mount ${m.destination} being backed up (${m.type === 'volume' ? `volume ${m.name}` : m.source})`,
        {
          hint: `pick a destination outside the container's mounts, or leave that mount out with --volume <the others>`,
        },
      );
    }
  }
}

/** Remove backup `id` only if its in-progress record carries `token` (this run wrote it). */
async function removeOwnBackup(destination: Destination, id: string, token: string): Promise<void> {
  const rec = await destination.read(id, IN_PROGRESS_FILE);
  if (!rec) return;
  let theirs: string | undefined;
  try {
    theirs = (JSON.parse(rec.toString()) as { token?: string }).token;
  } catch {
    return;
  }
  if (theirs === token) await destination.removeBackup(id);
}

/** The manifest a committing backup job reports as its result. */
function manifestOf(result: BackupJobResult | undefined): Manifest {
  if (!result || !('manifest' in result) || !result.manifest.id) throw new BugError('the backup sidecar returned no manifest');
  return result.manifest;
}

function splitCommand(cmd: string): string[] {
  return ['sh', '-c', cmd];
}

/** DOCKSIDE_BACKUP_LEASE_TTL: seconds a killed writer's lease blocks the destination (default 60). */
function leaseTtl(env: NodeJS.ProcessEnv): number | undefined {
  const v = Number(env['DOCKSIDE_BACKUP_LEASE_TTL']);
  return Number.isFinite(v) && v > 0 ? Math.round(v * 1000) : undefined;
}

export async function runBackup(ctx: ServiceContext, opts: BackupOptions): Promise<BackupResult | RepositoryBackupResult> {
  if (opts.pause && opts.stop) throw new UsageError('--pause and --stop exclude each other');
  if (opts.dumpOnly && !opts.dump) throw new UsageError('--dump-only needs --dump "<command>"');
  if (opts.dump && !opts.dumpAs) throw new UsageError('--dump needs --dump-as <file name>, e.g. --dump-as all.sql');
  if (opts.dumpAs && !opts.dump) throw new UsageError('--dump-as names the output of --dump "<command>"; give both');
  if (opts.dumpAs && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(opts.dumpAs))
    throw new UsageError(`--dump-as "${opts.dumpAs}" is not a plain file name`, { hint: 'use letters, digits, dots, dashes and underscores, e.g. all.sql' });
  const target = await resolveContainer(ctx.engine, opts.container);
  if ((opts.exec || opts.dump || opts.pause) && !target.running) {
    throw new UserError(`container "${target.name}" is not running (${target.status}); --exec, --dump and --pause need it running`, {
      hint: `start it: docker start ${target.name}`,
    });
  }
  if (target.paused && !opts.pause) throw new UserError(`container "${target.name}" is paused`, { hint: `unpause it (docker unpause ${target.name}) or pass --pause` });
  const mounts = opts.dumpOnly ? [] : selectMounts(target, opts.volumes);
  if (mounts.length === 0 && !opts.dump) {
    throw new UserError(`container "${target.name}" has no volumes or bind mounts to back up`, { hint: 'use --dump "<command>" for a data-level backup' });
  }
  const spec = parseDestination(opts.destination);
  if (spec.kind === 'dir') await refuseDestinationInside(spec.path, mounts);
  // A directory holding a `config` is a repository in restic's format: one snapshot, incremental.
  const repoPath = await repositoryPath(opts.destination, opts.passwordFile);
  if (repoPath) {
    const repoSources = mounts.map((m) => ({
      kind: m.type === 'volume' ? ('volume' as const) : ('bind' as const),
      name: m.name,
      mountPoint: m.destination,
      nested: nestedMounts(target, m),
      excludes: excludesFor(m.destination, opts.excludes),
    }));
    return runRepositoryBackup(ctx, opts, target, mounts, repoSources, repoPath);
  }
  if (opts.host)
    throw new UsageError("--host names a repository snapshot's hostname; this destination is an archive directory", {
      hint: 'create a repository there with `dockside repo init`, or leave --host out',
    });
  const dest = await resolveDestination(opts, ctx.env, 'write');
  const destination = await dest.open();
  // Unique (a random suffix), and created exclusively by the sidecar: never another run's.
  const startedAt = new Date();
  const id = backupId(target.name, startedAt);
  const token = randomBytes(12).toString('hex');
  const level = opts.compression === 'none' ? null : (opts.level ?? defaultLevel(opts.compression));
  const names = uniqueNames([
    ...mounts.map((m) => volumeArchiveName(m.type === 'volume' ? 'volume' : 'bind', m.name, m.destination, opts.compression)),
    ...(opts.dumpAs ? [dumpArchiveName(opts.dumpAs, opts.compression)] : []),
  ]);
  const sources: SourceSpec[] = mounts.map((m, i) => ({
    kind: m.type === 'volume' ? 'volume' : 'bind',
    name: m.name,
    mountPoint: m.destination,
    file: names[i] as string,
    nested: nestedMounts(target, m),
    excludes: excludesFor(m.destination, opts.excludes),
  }));
  const activeAt = new Date().toISOString();
  const active = await runningLabelValues(ctx.engine, { [LABEL.role]: 'backup' }, BACKUP_ID_LABEL);
  const manifestBase: BackupJob['manifest'] = {
    id,
    container: { name: target.name, id: target.id, image: target.image, imageId: target.imageId },
    tool: { name: 'dockside', version: ctx.version },
    startedAt: startedAt.toISOString(),
    compression: { algorithm: opts.compression, level },
    consistency: {
      mode: opts.pause ? 'pause' : opts.stop ? 'stop' : 'none',
      ...(opts.exec ? { exec: opts.exec } : {}),
      ...(opts.dump ? { dump: opts.dump } : {}),
    },
  };
  const leaseTtlMs = leaseTtl(ctx.env);
  const baseJob = {
    op: 'backup' as const,
    id,
    destination: dest.sidecar,
    compression: opts.compression,
    level,
    excludes: opts.excludes,
    activeIds: active,
    activeAt,
    token,
    manifest: manifestBase,
    ...(leaseTtlMs ? { leaseTtlMs } : {}),
    ...(opts.strict ? { strict: true } : {}),
  };
  const progress = new ProgressRenderer(ctx.progress, 'backing up');
  const capAdd = ['DAC_READ_SEARCH', ...dest.writeCaps];
  let started = false;
  let resume: (() => Promise<void>) | undefined;
  let committed: Manifest | undefined;

  try {
    // 1. --exec: a command in the target first (flush, checkpoint); its failure fails the backup.
    if (opts.exec) {
      const errTail = new OutputTail();
      const code = await execInContainer(ctx.engine, target.id, splitCommand(opts.exec), { stdout: new OutputTail(), stderr: errTail });
      if (code !== 0) throw commandFailed('--exec', target.name, code, errTail);
    }

    // 2. --dump: the command's stdout, piped into the sidecar, stored as one compressed file.
    let prior: ArchiveInfo[] = [];
    if (opts.dump && opts.dumpAs) {
      const pipe = new PassThrough({ highWaterMark: 1 << 20 });
      const errTail = new OutputTail();
      let execDone: Promise<number> | undefined;
      const dumpJob: BackupJob = {
        ...baseJob,
        sources: [{ kind: 'volume', name: opts.dumpAs, mountPoint: '', file: names[names.length - 1] as string }],
        prior: [],
        dumpFile: opts.dumpAs,
        commit: opts.dumpOnly,
      };
      started = true;
      const sidecar = runJob(ctx, {
        job: dumpJob,
        destination: dest,
        target,
        joinVolumes: false,
        capAdd: dest.writeCaps,
        readOnlyDestination: false,
        backupId: id,
        stdin: pipe,
        onEvent: (e) => progress.onEvent(e),
        onStarted: () => {
          execDone = execInContainer(ctx.engine, target.id, splitCommand(opts.dump as string), { stdout: pipe, stderr: errTail });
          // demux does not end its destinations: end the pipe so the sidecar sees EOF.
          execDone.then(
            () => pipe.end(),
            () => pipe.end(),
          );
        },
      });
      let result: BackupJobResult | undefined;
      let sidecarErr: unknown;
      try {
        ({ result } = await sidecar);
      } catch (err) {
        sidecarErr = err;
      }
      // The dump command's own failure explains more than what the sidecar saw of it.
      const code = execDone ? await execDone.catch((err: unknown) => Promise.reject(sidecarErr ?? err)) : -1;
      if (sidecarErr && (code === 0 || !execDone)) throw sidecarErr;
      if (code !== 0) throw commandFailed('--dump', target.name, code, errTail);
      if (opts.dumpOnly) {
        progress.done();
        committed = manifestOf(result);
      }
      if (!committed) {
        if (!result || !('archives' in result)) throw new BugError('the backup sidecar reported no archives for the --dump step');
        prior = result.archives;
      }
    }

    // 3. Volumes, with the target paused or stopped while they are read.
    if (!committed) committed = await backupVolumes(prior);
  } catch (err) {
    progress.done();
    if (resume) await resume().catch(() => undefined);
    // Remove what this attempt wrote (the sidecar does, unless it was killed), never another
    // run's: only a backup whose in-progress record carries this run's token. If this fails too,
    // the next run's leftover sweep does it.
    if (started) await removeOwnBackup(destination, id, token).catch(() => undefined);
    throw err;
  }
  // 4. Retention, once the backup is committed: its failure is reported, and never touches the
  //    backup that just succeeded (it is kept by id, and this is outside the clean-up above).
  if (!hasPolicy(opts)) return { manifest: committed };
  try {
    return { manifest: committed, prune: await pruneDestination(ctx, destination, opts, { container: target.name, keepIds: [id] }) };
  } catch (err) {
    const e = err as { message?: string; hint?: string };
    return { manifest: committed, pruneError: { message: e.message ?? String(err), ...(e.hint ? { hint: e.hint } : {}) } };
  }

  async function backupVolumes(prior: ArchiveInfo[]): Promise<Manifest> {
    const wasRunning = target.running;
    // The guard brings the target back even if this process is killed outright (resume-guard.ts).
    if (opts.pause) {
      const guard = guardResume(ctx.engine, target.id, 'backup', 'unpause');
      await pauseContainer(ctx.engine, target.id);
      resume = () => unpauseContainer(ctx.engine, target.id).finally(() => guard.release());
    } else if (opts.stop && wasRunning) {
      const guard = guardResume(ctx.engine, target.id, 'backup', 'start');
      await stopContainer(ctx.engine, target.id);
      resume = () => startContainer(ctx.engine, target.id).finally(() => guard.release());
    }
    const resumeOnce = async () => {
      const r = resume;
      resume = undefined;
      if (r) await r();
    };
    let resumed: Promise<void> | undefined;
    started = true;
    const { result } = await runJob(ctx, {
      job: { ...baseJob, sources: sources, prior, commit: true, ...(prior.length ? { continues: true } : {}) },
      destination: dest,
      target,
      joinVolumes: true,
      capAdd,
      readOnlyDestination: false,
      backupId: id,
      onEvent: (e) => {
        // Resume the target as soon as reading ends, before the last parts are uploaded.
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
    return manifestOf(result);
  }
}
