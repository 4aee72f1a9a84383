/**
 * Running one backup job (backup, restore, verify, dump-out) in a backup sidecar: the job file and
 * the destination's mounts and credentials go in, protocol events come back on its stderr (read by
 * the engine's EventReader), and a failure comes back as the sidecar's own user error.
 */
import type { Readable } from 'node:stream';
import { UserError, type SidecarEvent } from '@dockside/common';
import { EventReader, OutputBuffer, runSidecar, type Engine, type SidecarFile, type SidecarMount, type TargetContainer } from '@dockside/engine';
import type { BackupJobResult, BackupProgress } from '../events.js';
import type { Job } from '../model.js';
import type { ResolvedDestination } from '../destination/resolve.js';

export interface ServiceContext {
  engine: Engine;
  /** dockside version (labels, manifests). */
  version: string;
  session: string;
  /** The backup image, e.g. dockside/backup:0.1.0. */
  image: string;
  env: NodeJS.ProcessEnv;
  /** Where progress and warnings go (stderr); progress bars only when it is a TTY. */
  progress?: { write(s: string): unknown; isTTY?: boolean };
}

export const BACKUP_ID_LABEL = 'dockside.backup.id';

export type JobEvent = SidecarEvent<BackupProgress, BackupJobResult>;

export interface JobRun {
  job: Job;
  destination: ResolvedDestination;
  target?: TargetContainer;
  joinVolumes: boolean;
  capAdd: string[];
  mounts?: SidecarMount[];
  /** More files copied in before start (a repository's password). */
  files?: SidecarFile[];
  readOnlyDestination: boolean;
  backupId?: string;
  stdin?: Readable;
  /** Where the sidecar's stdout goes: only dump-out writes there (the dump); default: a small discarded buffer. */
  stdout?: NodeJS.WritableStream;
  onEvent?: (e: JobEvent) => void;
  onStarted?: (id: string) => void;
}

/** The sidecar names the destination by its mount point; the user knows it by its host path. */
function hostPaths(err: UserError, dest: ResolvedDestination): UserError {
  if (dest.host.kind !== 'dir' || dest.sidecar.kind !== 'dir' || !err.message.includes(dest.sidecar.root)) return err;
  const message = err.message.split(dest.sidecar.root).join(dest.host.root);
  return new UserError(message, { exitCode: err.exitCode, code: err.code, ...(err.hint ? { hint: err.hint } : {}) });
}

/** Runs the job; resolves with its result event (undefined for dump-out) and the exit code. */
export async function runJob(ctx: ServiceContext, run: JobRun): Promise<{ result: BackupJobResult | undefined; exitCode: number }> {
  const onEvent = run.onEvent;
  const events = new EventReader<BackupProgress, BackupJobResult>({
    onEvent: (e) => {
      try {
        onEvent?.(e);
      } catch {
        /* a renderer must not break the run */
      }
    },
  });
  const { exitCode } = await runSidecar(
    ctx.engine,
    {
      role: 'backup',
      image: ctx.image,
      version: ctx.version,
      session: ctx.session,
      ...(run.target ? { target: run.target } : {}),
      join: { volumes: run.joinVolumes },
      cmd: ['run'],
      files: [{ path: '/etc/dockside/job.json', content: JSON.stringify(run.job), mode: 0o400 }, ...run.destination.files, ...(run.files ?? [])],
      mounts: [...run.destination.mounts(run.readOnlyDestination), ...(run.mounts ?? [])],
      capAdd: run.capAdd,
      networkMode: run.destination.networkMode,
      ...(run.backupId ? { labels: { [BACKUP_ID_LABEL]: run.backupId } } : {}),
      ...(run.stdin ? { stdin: true } : {}),
    },
    {
      // Only dump-out writes on stdout (the dump itself); anything else there is kept small.
      stdout: run.stdout ?? new OutputBuffer(64 * 1024),
      stderr: events,
      ...(run.stdin ? { stdin: run.stdin } : {}),
      ...(run.onStarted ? { onStarted: run.onStarted } : {}),
    },
  );
  await events.finish();
  // verify exits 1 when an archive is bad (reported through `verified` events), without an error.
  const badArchives = run.job.op === 'verify' && exitCode === 1 && !events.error && events.result !== undefined;
  if (exitCode !== 0 && !badArchives) {
    if (exitCode === 137 && !events.error)
      throw new UserError('the backup sidecar was killed (exit 137); nothing was committed', { hint: 'the next backup removes what it left behind' });
    throw hostPaths(events.failure('backup', exitCode), run.destination);
  }
  return { result: events.result, exitCode };
}
