/**
 * `dockside restore`: verify the chosen archives (sha256, size) before changing anything, extract
 * into a staging folder on each volume, check the sha256 again, then swap the staged tree in. The
 * target is stopped for the restore (unless --no-stop) and started again after. --into-volume
 * restores one archive into a new named volume instead; --load pipes a --dump file into a command
 * in the target.
 */
import { commandFailed } from './command-failure.js';
import { PassThrough, Writable } from 'node:stream';
import { NotFoundError, UsageError, UserError } from '@dockside/common';
import {
  createNamedVolume,
  execInContainer,
  guardResume,
  inspectVolume,
  inMemoryVolume,
  containersUsingVolume,
  pauseContainer,
  resolveContainer,
  startContainer,
  stopContainer,
  OutputTail,
  type TargetContainer,
} from '@dockside/engine';
import type { ArchiveInfo, Manifest, RestoreItem } from '../model.js';
import { resolveManifest } from './catalog.js';
import { mountIdentity, nestedMounts } from './backup.js';
import { resolveDestination, type DestinationOptions } from '../destination/resolve.js';
import { ProgressRenderer } from './progress.js';
import { repositoryPath } from '../destination/repository.js';
import { runRepositoryRestore } from './repo-restore.js';
import { runJob, type ServiceContext } from './job-runner.js';

export interface RestoreOptions extends DestinationOptions {
  container: string;
  id: string;
  volumes: string[];
  intoVolume?: string;
  noStop: boolean;
  yes: boolean;
  load?: string;
  /** --into-volume into a volume a running container mounts. */
  force?: boolean;
  /** Ask the user (TTY); absent: --yes is required. */
  confirm?: (question: string) => Promise<boolean>;
  /** A repository's password file (else RESTIC_PASSWORD_FILE, else RESTIC_PASSWORD). */
  passwordFile?: string;
  /** With a repository and --id latest: the snapshot hostname to look for (default: the container's name). */
  host?: string;
}

export interface RestoreResult {
  id: string;
  container: string;
  restored: Array<{ file: string; into: string }>;
  stopped: boolean;
}

// CHOWN: owners; FOWNER: times, modes and ACLs of files it does not own; DAC_OVERRIDE: writing into
// read-only directories; FSETID: keeping setgid bits; SETFCAP: restoring security.capability.
// MKNOD: device nodes the backup holds.
const RESTORE_CAPS = ['CHOWN', 'FOWNER', 'DAC_OVERRIDE', 'FSETID', 'SETFCAP', 'MKNOD'];
const INTO_PATH = '/restore/volume';

function pickArchives(m: Manifest, wanted: string[], kind: 'data' | 'dump'): ArchiveInfo[] {
  const pool = m.archives.filter((a) => (kind === 'dump' ? a.kind === 'dump' : a.kind !== 'dump'));
  if (wanted.length === 0) return pool;
  return wanted.map((w) => {
    const hit = pool.find((a) => a.name === w || a.destination === w || a.file === w);
    if (!hit)
      throw new NotFoundError(`backup ${m.id} has no ${kind === 'dump' ? 'dump' : 'volume'} "${w}"`, {
        hint: `it holds: ${pool.map((a) => a.name + (a.destination ? ` (${a.destination})` : '')).join(', ') || 'nothing of that kind'}`,
      });
    return hit;
  });
}

export async function runRestore(ctx: ServiceContext, opts: RestoreOptions): Promise<RestoreResult> {
  const target = await resolveContainer(ctx.engine, opts.container);
  const repoPath = await repositoryPath(opts.destination, opts.passwordFile);
  if (repoPath) return runRepositoryRestore(ctx, opts, target, repoPath);
  const dest = await resolveDestination(opts, ctx.env, 'read');
  const destination = await dest.open();
  const manifest = await resolveManifest(destination, opts.id, opts.id === 'latest' ? target.name : undefined);
  if (opts.load) return loadDump(ctx, opts, target, manifest, dest);

  const archives = pickArchives(manifest, opts.volumes, 'data');
  if (archives.length === 0)
    throw new UserError(`backup ${manifest.id} holds no volume archives`, {
      hint: manifest.archives.some((a) => a.kind === 'dump') ? 'it holds a dump: restore it with --load "<command>"' : undefined,
    });
  let items: RestoreItem[];
  let mounts: Array<{ type: 'volume'; source: string; target: string }> = [];
  if (opts.intoVolume) {
    if (archives.length !== 1) throw new UsageError(`--into-volume takes one archive; backup ${manifest.id} holds ${archives.length}`, { hint: 'pick one with --volume <name>' });
    const existing = await inspectVolume(ctx.engine, opts.intoVolume);
    if (existing && !opts.yes)
      throw new UsageError(`volume "${opts.intoVolume}" already exists; restoring replaces its contents`, { hint: 'pass --yes to replace it, or name a new volume' });
    // Replacing what a running app reads and writes under it is never what --into-volume is for.
    const users = existing ? await containersUsingVolume(ctx.engine, opts.intoVolume) : [];
    if (users.length && !opts.force)
      throw new UsageError(`volume "${opts.intoVolume}" is mounted by running container${users.length > 1 ? 's' : ''} ${users.map((u) => `"${u}"`).join(', ')}`, {
        hint: `stop ${users.length > 1 ? 'them' : 'it'} first, name a new volume, or pass --force to replace it anyway`,
      });
    if (!existing) await createNamedVolume(ctx.engine, opts.intoVolume, { 'dockside.restored-from': manifest.id });
    const a = archives[0] as ArchiveInfo;
    items = [{ file: a.file, sha256: a.sha256, bytes: a.bytes, path: INTO_PATH }];
    mounts = [{ type: 'volume', source: opts.intoVolume, target: INTO_PATH }];
  } else {
    // Each volume (or host directory) receives at most one archive: a second one would swap the
    // first one's tree out again (a volume mounted twice, or a backup that stored it twice).
    const into = new Map<string, string>();
    items = archives.map((a) => {
      const m = target.mounts.find((x) => x.destination === a.destination) ?? target.mounts.find((x) => x.type === 'volume' && x.name === a.name);
      if (!m)
        throw new UserError(`container "${target.name}" has no mount at ${a.destination} for archive ${a.file}`, {
          hint: 'restore it with --into-volume <new-volume>, or into a container that mounts it there',
        });
      if (m.readOnly)
        throw new UserError(`container "${target.name}" mounts ${m.destination} read-only; cannot restore into it`, { hint: 'restore it with --into-volume <new-volume> instead' });
      const key = mountIdentity(m);
      const earlier = into.get(key);
      if (earlier)
        throw new UserError(`archives ${earlier} and ${a.file} of backup ${manifest.id} would both restore into ${m.type === 'volume' ? `volume ${m.name}` : m.source}`, {
          hint: `restore one of them: --volume ${a.destination ?? a.name}`,
        });
      into.set(key, a.file);
      const nested = nestedMounts(target, m);
      return { file: a.file, sha256: a.sha256, bytes: a.bytes, path: m.destination, ...(nested.length ? { nested } : {}), ...(a.excludes?.length ? { excludes: a.excludes } : {}) };
    });
    if (!opts.yes) {
      const what = `This replaces everything in ${items.map((t) => t.path).join(', ')} of container "${target.name}" with backup ${manifest.id}.`;
      const ok = opts.confirm ? await opts.confirm(`${what} Continue? [y/N] `) : false;
      if (!ok) throw new UsageError(opts.confirm ? 'restore cancelled' : `${what} Pass --yes to confirm`);
    }
  }

  const { stopped } = await whileStopped(
    ctx,
    target,
    opts,
    items.map((t) => t.path),
    async () => {
      const progress = new ProgressRenderer(ctx.progress, 'restoring');
      try {
        await runJob(ctx, {
          job: {
            op: 'restore',
            id: manifest.id,
            destination: dest.sidecar,
            compression: manifest.compression.algorithm,
            items,
            plan: {
              files: archives.reduce((n, a) => n + a.entries.files, 0),
              bytes: archives.reduce((n, a) => n + a.contentBytes, 0),
            },
          },
          destination: dest,
          // With --into-volume the target only names the sidecar (labels); it joins nothing.
          target,
          joinVolumes: !opts.intoVolume,
          capAdd: RESTORE_CAPS,
          mounts,
          readOnlyDestination: true,
          onEvent: (e) => progress.onEvent(e),
        });
      } finally {
        progress.done();
      }
    },
  );
  return {
    id: manifest.id,
    container: target.name,
    restored: items.map((t) => ({ file: t.file, into: opts.intoVolume ? `volume ${opts.intoVolume}` : t.path })),
    stopped,
  };
}

/**
 * Runs `restore` with the target stopped, as a restore into its live mounts needs (unless
 * --into-volume or --no-stop), and started again after, paused again if it was: left as it was
 * found, also should this process be killed outright (the resume guard). A tmpfs volume among
 * `paths` is refused first: stopping its only container unmounts it, which empties it.
 */
export async function whileStopped<T>(
  ctx: ServiceContext,
  target: TargetContainer,
  opts: Pick<RestoreOptions, 'intoVolume' | 'noStop'>,
  paths: string[],
  restore: () => Promise<T>,
): Promise<{ result: T; stopped: boolean }> {
  const stopIt = !opts.intoVolume && !opts.noStop && target.running;
  if (stopIt) {
    for (const path of paths) {
      const m = target.mounts.find((x) => x.destination === path);
      const v = m?.type === 'volume' && m.name ? await inspectVolume(ctx.engine, m.name) : undefined;
      if (v && inMemoryVolume(v)) {
        throw new UsageError(`volume "${v.name}" (${path}) is a tmpfs volume: stopping "${target.name}" for the restore would empty it`, {
          hint: 'restore with --no-stop (the container keeps running and the volume stays mounted), or into a volume on disk with --into-volume',
        });
      }
    }
  }
  const guard = stopIt ? guardResume(ctx.engine, target.id, 'backup', target.paused ? 'start-paused' : 'start') : undefined;
  if (stopIt) await stopContainer(ctx.engine, target.id);
  try {
    return { result: await restore(), stopped: stopIt };
  } finally {
    if (stopIt) {
      await startContainer(ctx.engine, target.id);
      if (target.paused) await pauseContainer(ctx.engine, target.id);
    }
    guard?.release();
  }
}

async function loadDump(
  ctx: ServiceContext,
  opts: RestoreOptions,
  target: TargetContainer,
  manifest: Manifest,
  dest: Awaited<ReturnType<typeof resolveDestination>>,
): Promise<RestoreResult> {
  const dumps = pickArchives(manifest, opts.volumes, 'dump');
  if (dumps.length !== 1)
    throw new UserError(dumps.length ? `backup ${manifest.id} holds ${dumps.length} dumps; pick one with --volume <file>` : `backup ${manifest.id} holds no dump`, {
      hint: dumps.length ? 'the names are in `dockside backup ls --json`' : 'restore its volumes without --load',
    });
  if (!target.running) throw new UserError(`container "${target.name}" is not running; --load runs a command in it`, { hint: `start it: docker start ${target.name}` });
  const a = dumps[0] as ArchiveInfo;
  if (!opts.yes) {
    const what = `This pipes dump ${a.name} of backup ${manifest.id} into "${opts.load}" in container "${target.name}".`;
    const ok = opts.confirm ? await opts.confirm(`${what} Continue? [y/N] `) : false;
    if (!ok) throw new UsageError(opts.confirm ? 'restore cancelled' : `${what} Pass --yes to confirm`);
  }
  const pipe = new PassThrough({ highWaterMark: 1 << 20 });
  const out = new OutputTail();
  const err = new OutputTail();
  let exec: Promise<number> | undefined;
  // The sidecar verifies the whole archive before it writes a byte: start the command on the first one.
  const gate = new Writable({
    highWaterMark: 1 << 20,
    write(chunk: Buffer, _e, cb) {
      if (!exec) {
        exec = execInContainer(ctx.engine, target.id, ['sh', '-c', opts.load as string], { stdin: pipe, stdout: out, stderr: err });
        exec.catch(() => undefined);
      }
      if (pipe.write(chunk)) cb();
      else pipe.once('drain', () => cb());
    },
    final(cb) {
      pipe.end();
      cb();
    },
  });
  try {
    await runJob(ctx, {
      job: { op: 'dump-out', destination: dest.sidecar, id: manifest.id, compression: manifest.compression.algorithm, archive: { file: a.file, sha256: a.sha256, bytes: a.bytes } },
      destination: dest,
      target,
      joinVolumes: false,
      capAdd: [],
      readOnlyDestination: true,
      stdout: gate,
    });
  } finally {
    pipe.end();
  }
  if (!exec)
    throw new UserError(`dump ${a.name} of backup ${manifest.id} is empty; nothing was loaded`, {
      hint: 'check the --dump command of that backup; `dockside backup verify` checks the archive',
    });
  const code = await exec;
  if (code !== 0) throw commandFailed('--load', target.name, code, err);
  return { id: manifest.id, container: target.name, restored: [{ file: a.file, into: `${target.name}: ${opts.load}` }], stopped: false };
}
