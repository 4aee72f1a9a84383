/** The backup job: the target's volumes packed into archives at the destination, under the destination's lease. */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { UserError } from '@dockside/common';
import { makeExcluder } from '../glob.js';
import { IN_PROGRESS_FILE, MANIFEST_FILE, MANIFEST_FORMAT, type ArchiveInfo, type BackupJob, type Manifest } from '../model.js';
import type { Destination } from '../destination/destination.js';
import { acquireLease, bootId, isDeadLeftover, type LocalWriters } from '../destination/lease.js';
import { compressStream } from './compress.js';
import { onInterrupt } from './interrupts.js';
import { packTree, scanTree } from './tar-write.js';
import { BYTES, Progress, counted, hashing, type JobEvents } from './job-events.js';

/**
 * Remove what dead runs of dockside left (no manifest, dockside's marker, no live lease; see
 * isDeadLeftover), never a folder dockside did not write. A sweep that fails warns: the backup
 * goes on (a stuck leftover must not stop every later backup).
 */
async function cleanLeftovers(destination: Destination, keep: Set<string>, local: LocalWriters, events: JobEvents): Promise<void> {
  const removed: string[] = [];
  let ids: string[];
  try {
    ids = await destination.listIds();
  } catch (err) {
    events.warning(`could not look for leftovers of earlier backups: ${(err as Error).message}`);
    return;
  }
  for (const id of ids) {
    if (keep.has(id)) continue;
    try {
      if (!(await isDeadLeftover(destination, id, local))) continue;
      await destination.removeBackup(id);
      removed.push(id);
    } catch (err) {
      events.warning(`could not remove the leftovers of backup ${id}: ${(err as Error).message}; \`dockside backup prune\` retries`);
    }
  }
  if (removed.length) events.progress('cleaned', { ids: removed });
}

export async function writeArchives(job: BackupJob, destination: Destination, events: JobEvents): Promise<void> {
  await destination.checkWritable();
  const local: LocalWriters = { activeIds: new Set(job.activeIds), bootId: bootId(), seenAt: job.activeAt ? Date.parse(job.activeAt) : undefined };
  const lease = await acquireLease(destination, job.id, job.manifest.startedAt, local, job.leaseTtlMs, { fresh: !job.continues });
  // Interrupted: abort the unfinished uploads, remove what this run wrote, release the lease.
  const offInterrupt = onInterrupt(async () => {
    await destination.removeBackup(job.id).catch(() => undefined);
    await lease.release();
  });
  let ok = false;
  try {
    await backupUnderLease(job, destination, local, events);
    ok = true;
  } finally {
    offInterrupt();
    // A failed backup is removed by the run that wrote it (this one holds its lease).
    if (!ok) await destination.removeBackup(job.id).catch(() => undefined);
    // A dump step keeps the lease for the step that commits.
    await lease.release(ok && !job.commit);
  }
}

async function backupUnderLease(job: BackupJob, destination: Destination, local: LocalWriters, events: JobEvents): Promise<void> {
  await cleanLeftovers(destination, new Set([...job.activeIds, job.id]), local, events);
  if (!(await destination.read(job.id, IN_PROGRESS_FILE))) {
    await destination.write(
      job.id,
      IN_PROGRESS_FILE,
      Buffer.from(JSON.stringify({ id: job.id, startedAt: job.manifest.startedAt, ...(job.token ? { token: job.token } : {}), uploads: [] })),
    );
  }
  const archives: ArchiveInfo[] = [...job.prior];
  const progress = new Progress(events);
  const excluder = makeExcluder(job.excludes);

  if (job.dumpFile) {
    const file = job.sources[0]?.file ?? `dump-${job.dumpFile}`;
    const hash = createHash('sha256');
    const stored = { n: 0 };
    let raw = 0;
    const read = (n: number) => {
      raw += n;
      progress.bytes += n;
    };
    const body = Readable.from(hashing(hash, stored, progress)(compressStream(counted(process.stdin, read), job.compression, job.level)), BYTES);
    await destination.writeStream(job.id, file, body);
    if (raw === 0) throw new UserError('the --dump command wrote nothing on its stdout', { hint: 'check the command by hand: docker exec <container> <command>' });
    archives.push({
      file,
      kind: 'dump',
      name: job.dumpFile,
      bytes: stored.n,
      rawBytes: raw,
      contentBytes: raw,
      sha256: hash.digest('hex'),
      entries: { files: 1, dirs: 0, symlinks: 0, hardlinks: 0 },
      skipped: [],
      skippedCount: 0,
      warnings: [],
    });
    events.progress('archive', archives[archives.length - 1] as ArchiveInfo);
  } else {
    let plan = { files: 0, bytes: 0 };
    for (const s of job.sources) {
      if (!fs.statSync(s.mountPoint, { throwIfNoEntry: false })?.isDirectory()) continue;
      const nested = new Set(s.nested ?? []);
      const ex = s.excludes ? makeExcluder(s.excludes) : excluder;
      const p = scanTree(s.mountPoint, nested.size ? (rel) => nested.has(rel) || ex(rel) : ex);
      plan = { files: plan.files + p.files, bytes: plan.bytes + p.bytes };
    }
    events.progress('plan', plan);
    const { pack: makePack } = await import('tar-stream');
    for (const s of job.sources) {
      let rootSt: fs.Stats;
      try {
        rootSt = fs.statSync(s.mountPoint);
      } catch {
        throw new UserError(`mount ${s.mountPoint} is not visible in the backup sidecar`, { hint: "the target's mounts changed while the backup started: run it again" });
      }
      if (!rootSt.isDirectory()) {
        // A bind-mounted file or socket (/etc/localtime, docker.sock): not a volume to archive.
        events.warning(`${s.mountPoint} is a bind-mounted ${rootSt.isSocket() ? 'socket' : 'file'}, not a directory; not archived`);
        continue;
      }
      const pack = makePack();
      // Its errors reach us through `walking` and `writing`; once the writer has failed nobody reads
      // the pack any more, and an 'error' event with no listener would crash the sidecar instead.
      pack.on('error', () => undefined);
      const hash = createHash('sha256');
      const stored = { n: 0 };
      let raw = 0;
      const nested = new Set(s.nested ?? []);
      const walking = packTree(pack, s.mountPoint, {
        exclude: s.excludes ? makeExcluder(s.excludes) : excluder,
        ...(nested.size ? { otherMount: (rel: string) => nested.has(rel) } : {}),
        onProgress: (f, b) => {
          progress.files += f;
          progress.bytes += b;
        },
      }).then(
        (st) => {
          pack.finalize();
          return st;
        },
        (err: Error) => {
          pack.destroy(err);
          throw err;
        },
      );
      walking.catch(() => undefined);
      const body = Readable.from(
        hashing(
          hash,
          stored,
          progress,
        )(
          compressStream(
            counted(pack as unknown as AsyncIterable<Buffer>, (n) => (raw += n)),
            job.compression,
            job.level,
          ),
        ),
        BYTES,
      );
      const writing = destination.writeStream(job.id, s.file, body).catch((err: Error) => {
        pack.destroy(); // the walker stops at its next write; the error is the writer's
        throw err;
      });
      // Which failure is the cause: a full destination makes the walker fail too (on the pack its
      // reader destroyed); a read error reaches the writer as the same error (or as its cause).
      const [walked, written] = await Promise.allSettled([walking, writing]);
      if (written.status === 'rejected') {
        const w = written.reason as { cause?: unknown };
        if (walked.status === 'rejected' && (w === walked.reason || w.cause === walked.reason)) throw walked.reason;
        throw written.reason;
      }
      if (walked.status === 'rejected') throw walked.reason;
      const st = walked.value;
      for (const sk of st.skipped) events.warning(`${s.mountPoint}/${sk.path}: ${sk.type} not archived (tar cannot carry it)`);
      for (const w of st.warnings) events.warning(`${s.mountPoint}/${w}`);
      if (job.strict && st.changedCount > 0) {
        const shown = st.changed
          .slice(0, 3)
          .map((p) => `${s.mountPoint}/${p}`)
          .join(', ');
        throw new UserError(
          `${st.changedCount} file${st.changedCount > 1 ? 's' : ''} changed while being read (${shown}${st.changedCount > 3 ? ', …' : ''}); with --strict the backup is not kept`,
          { hint: 'back up with --pause or --stop so nothing writes meanwhile, or without --strict to keep it with warnings' },
        );
      }
      const info: ArchiveInfo = {
        file: s.file,
        kind: s.kind,
        name: s.name,
        destination: s.mountPoint,
        bytes: stored.n,
        rawBytes: raw,
        contentBytes: st.contentBytes,
        sha256: hash.digest('hex'),
        entries: st.entries,
        skipped: st.skipped,
        skippedCount: st.skippedCount,
        warnings: st.warnings,
        ...((s.excludes ?? job.excludes).length ? { excludes: s.excludes ?? job.excludes } : {}),
      };
      archives.push(info);
      events.progress('archive', info);
    }
    events.progress('read-done', {});
  }
  progress.stop();
  // Nothing archived (every mount a file or a socket) is a failure, not an empty "complete"
  // backup that retention would count as the newest.
  if (archives.length === 0) {
    throw new UserError(`nothing was archived: ${job.sources.map((s) => s.mountPoint).join(', ')} ${job.sources.length === 1 ? 'is not a directory' : 'are not directories'}`, {
      hint: "back up a mount that is a directory (--volume <mount path>), or store a command's output with --dump",
    });
  }

  if (!job.commit) {
    events.result({ archives });
    return;
  }
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    ...job.manifest,
    finishedAt: new Date().toISOString(),
    archives,
    totals: {
      files: archives.reduce((n, a) => n + a.entries.files, 0),
      contentBytes: archives.reduce((n, a) => n + a.contentBytes, 0),
      storedBytes: archives.reduce((n, a) => n + a.bytes, 0),
    },
  };
  // The manifest is the commit marker: written last, atomically.
  await destination.write(job.id, MANIFEST_FILE, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
  await destination.removeFile(job.id, IN_PROGRESS_FILE).catch(() => undefined);
  events.result({ manifest });
}
