/** The sidecar's work: backup, restore, verify and dump-out jobs, as described by the host. */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UserError } from '@dockside/common';
import { CorruptArchiveError } from '../errors.js';
import { EventWriter } from '@dockside/sidecar-kit';
import type { BackupJobResult, BackupProgress } from '../events.js';
import { makeExcluder } from '../glob.js';
import {
  IN_PROGRESS_FILE,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  type ArchiveInfo,
  type BackupJob,
  type DumpOutJob,
  type Manifest,
  type RestoreJob,
  type VerifyJob,
  type Compression,
} from '../model.js';
import type { Destination } from '../destination/destination.js';
import { acquireLease, bootId, isDeadLeftover, type LocalWriters } from '../destination/lease.js';
import { compressStream, decompressStream } from './compress.js';
import { loadFsx } from './fsx.js';
import { onInterrupt } from './interrupts.js';
import { extractTar, type RootMeta } from './tar-read.js';
import { RESERVED_ROOT, packTree, scanTree } from './tar-write.js';
import { mtimeOf, setTimes, type Mtime } from './times.js';
import { applyXattrs } from './xattrs.js';

/** Byte streams with a small buffer (Readable.from defaults to 16 objects: 16 blocks of 4 MiB). */
const BYTES = { objectMode: false, highWaterMark: 1024 * 1024 };

/** How a job reports to the CLI: progress steps, warnings and its result (stderr, protocol events). */
export type JobEvents = EventWriter<BackupProgress, BackupJobResult>;

export function jobEvents(out?: { write(s: string): unknown }): JobEvents {
  return new EventWriter<BackupProgress, BackupJobResult>(out);
}

class Progress {
  files = 0;
  bytes = 0;
  stored = 0;
  private timer: NodeJS.Timeout;
  constructor(
    private readonly events: JobEvents,
    everyMs = 500,
  ) {
    this.timer = setInterval(() => this.flush(), everyMs);
    this.timer.unref();
  }
  flush(): void {
    this.events.progress('progress', { files: this.files, bytes: this.bytes, stored: this.stored });
  }
  stop(): void {
    clearInterval(this.timer);
    this.flush();
  }
}

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

/** Hash and count what flows through, on its way to the destination. */
/** Passes the chunks of `src` through, telling `count` each one's size (the raw bytes read). */
async function* counted(src: AsyncIterable<Buffer>, count: (bytes: number) => void): AsyncGenerator<Buffer> {
  for await (const c of src) {
    count(c.length);
    yield c;
  }
}

function hashing(hash: ReturnType<typeof createHash>, count: { n: number }, progress?: Progress) {
  return async function* (src: AsyncIterable<Buffer>) {
    for await (const c of src) {
      hash.update(c);
      count.n += c.length;
      if (progress) progress.stored += c.length;
      yield c;
    }
  };
}

export async function runBackup(job: BackupJob, destination: Destination, events: JobEvents): Promise<void> {
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

/** Read an archive end to end and compare its size and sha256 with the manifest. */
async function checkArchive(destination: Destination, id: string, a: { file: string; sha256: string; bytes: number }): Promise<void> {
  const hash = createHash('sha256');
  let n = 0;
  const src = await destination.readStream(id, a.file);
  for await (const c of src as AsyncIterable<Buffer>) {
    hash.update(c);
    n += c.length;
  }
  const sum = hash.digest('hex');
  if (n !== a.bytes) throw new CorruptArchiveError(`archive ${id}/${a.file} is ${n} bytes, the manifest says ${a.bytes}: truncated or replaced`);
  if (sum !== a.sha256) throw new CorruptArchiveError(`archive ${id}/${a.file} fails its sha256 check (corrupt or altered)`);
}

/** Stream an archive through sha256 and decompression; the checksum is compared at the end. */
async function openChecked(destination: Destination, id: string, a: { file: string; sha256: string; bytes: number }, c: Compression, verified = false) {
  const hash = createHash('sha256');
  let n = 0;
  const src = await destination.readStream(id, a.file);
  // An archive a verify pass just hashed through a stable destination (one open descriptor) is not
  // hashed again: count bytes only. Otherwise (S3, or no verify pass) hash as it streams.
  const rehash = !(verified && destination.stable);
  async function* hashed() {
    for await (const chunk of src as AsyncIterable<Buffer>) {
      if (rehash) hash.update(chunk);
      n += chunk.length;
      yield chunk;
    }
  }
  const stream = Readable.from(decompressStream(hashed(), c), BYTES);
  const check = () => {
    if (n !== a.bytes || (rehash && hash.digest('hex') !== a.sha256))
      throw new CorruptArchiveError(`archive ${id}/${a.file} fails its sha256 check (corrupt, truncated or altered); nothing was changed`);
  };
  const wrap = (err: unknown) =>
    err instanceof UserError ? err : new CorruptArchiveError(`archive ${id}/${a.file} cannot be read (corrupt or truncated): ${(err as Error).message}`, { cause: err });
  return { stream, check, wrap };
}

export async function runVerify(job: VerifyJob, destination: Destination, events: JobEvents): Promise<number> {
  await destination.checkReadable();
  const m = job.manifest;
  let bad = 0;
  for (const a of m.archives) {
    try {
      if (!job.deep || a.kind === 'dump') await checkArchive(destination, m.id, a);
      else {
        const o = await openChecked(destination, m.id, a, m.compression.algorithm);
        const r = await extractTar(o.stream, '/nonexistent', { dryRun: true }).catch((err) => {
          throw o.wrap(err);
        });
        o.check();
        const e = a.entries;
        if (r.entries.files !== e.files || r.entries.dirs !== e.dirs || r.entries.symlinks !== e.symlinks || r.entries.hardlinks !== e.hardlinks) {
          throw new CorruptArchiveError(`archive ${m.id}/${a.file} holds ${JSON.stringify(r.entries)}, the manifest says ${JSON.stringify(e)}`);
        }
      }
      events.progress('verified', { file: a.file, ok: true });
    } catch (err) {
      bad++;
      const message = err instanceof UserError ? err.message : `cannot read: ${(err as Error).message}`;
      events.progress('verified', { file: a.file, ok: false, message });
    }
  }
  events.result({ verified: m.archives.length - bad, bad });
  return bad ? 1 : 0;
}

function listNames(dir: string): Buffer[] {
  return fs.readdirSync(dir, { encoding: 'buffer' });
}

function applyRoot(path: string, m: RootMeta | undefined, events: JobEvents): void {
  if (!m) return;
  fs.chownSync(path, m.uid, m.gid);
  fs.chmodSync(path, m.mode);
  for (const w of applyXattrs(loadFsx(), Buffer.from(path), m.xattrs)) events.warning(`${path}: ${w}`);
  setTimes(loadFsx(), Buffer.from(path), m.time, true);
}

/** Paths under `root` (relative) that `patterns` exclude; a matching directory is not entered. */
export function matching(root: string, patterns: string[]): string[] {
  if (patterns.length === 0) return [];
  const ex = makeExcluder(patterns);
  const out: string[] = [];
  const stack = [''];
  while (stack.length) {
    const rel = stack.pop() as string;
    let names: string[];
    try {
      names = fs.readdirSync(rel ? join(root, rel) : root);
    } catch {
      continue;
    }
    for (const n of names) {
      const r = rel ? `${rel}/${n}` : n;
      if (!rel && RESERVED_ROOT.test(n)) continue;
      if (ex(r)) out.push(r);
      else if (fs.lstatSync(join(root, r)).isDirectory()) stack.push(r);
    }
  }
  return out;
}

const child = (dir: Buffer, n: Buffer) => Buffer.concat([dir, Buffer.from('/'), n]);

/**
 * Swap one directory level: what `live` holds goes into `old`, what `staged` holds comes in. A
 * nested mount point stays (renaming it fails with EBUSY, and its volume is restored on its own);
 * a directory above one is swapped level by level, so no mount is ever moved or removed.
 */
export function swapLevel(live: Buffer, staged: Buffer | undefined, old: Buffer, nested: string[], skip: Set<string>): void {
  fs.mkdirSync(old, { mode: 0o700 });
  const kept = new Set<string>();
  for (const n of listNames(live as unknown as string)) {
    const t = n.toString();
    if (skip.has(t)) continue;
    if (nested.includes(t)) {
      kept.add(t);
      continue;
    }
    const under = nested.filter((x) => x.startsWith(`${t}/`)).map((x) => x.slice(t.length + 1));
    if (under.length && fs.lstatSync(child(live, n)).isDirectory()) {
      kept.add(t);
      const st = staged ? fs.lstatSync(child(staged, n), { throwIfNoEntry: false }) : undefined;
      swapLevel(child(live, n), st?.isDirectory() ? child(staged as Buffer, n) : undefined, child(old, n), under, new Set());
      if (st?.isDirectory()) {
        fs.chownSync(child(live, n), st.uid, st.gid);
        fs.chmodSync(child(live, n), st.mode & 0o7777);
        fs.utimesSync(child(live, n), st.atime, st.mtime);
      }
      continue;
    }
    fs.renameSync(child(live, n), child(old, n));
  }
  if (!staged) return;
  for (const n of listNames(staged as unknown as string)) {
    if (kept.has(n.toString())) continue;
    fs.renameSync(child(staged, n), child(live, n));
  }
}

export async function runRestore(job: RestoreJob, destination: Destination, events: JobEvents): Promise<void> {
  await destination.checkReadable();
  // 1. Verify everything before touching anything.
  // Each archive is verified while it is extracted into staging (sha256 and size of the stored
  // bytes, checked at its end); the live tree is swapped only once every archive matched.
  events.progress('plan', job.plan);
  const progress = new Progress(events);
  const tag = job.id.replace(/[^A-Za-z0-9]/g, '').slice(-16);
  const staged: Array<{ path: string; staging: string; root?: RootMeta; before: Mtime; nested: string[] }> = [];
  const dropStaging = () => {
    for (const s of staged) {
      fs.rmSync(s.staging, { recursive: true, force: true });
      setTimes(loadFsx(), Buffer.from(s.path), s.before, true);
    }
  };
  // Interrupted while extracting: nothing changed yet; the staging folders go.
  const offInterrupt = onInterrupt(dropStaging);
  try {
    // 1. Extract each archive into a staging folder on its own volume (same file system: renames
    //    are cheap), hashing it on the way.
    for (const t of job.items) {
      for (const n of listNames(t.path)) {
        if (RESERVED_ROOT.test(n.toString())) fs.rmSync(Buffer.concat([Buffer.from(`${t.path}/`), n]) as unknown as string, { recursive: true, force: true });
      }
      const staging = join(t.path, `.dockside-restore-${tag}`);
      const before = mtimeOf(fs.statSync(t.path, { bigint: true }));
      fs.mkdirSync(staging, { mode: 0o700 });
      // What the backup's --exclude left out stays in the volume, like the nested mounts.
      staged.push({ path: t.path, staging, before, nested: [...(t.nested ?? []), ...matching(t.path, t.excludes ?? [])] });
      const o = await openChecked(destination, job.id, t, job.compression);
      const r = await extractTar(o.stream, staging, {
        onProgress: (f, b) => {
          progress.files += f;
          progress.bytes += b;
        },
      }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOSPC')
          throw new UserError(`no space left on the volume at ${t.path} while restoring (it needs room for a second copy during the restore); nothing was changed`, {
            hint: 'free space on that volume (a restore needs room for a second copy), or restore with --into-volume <new-volume>',
          });
        throw o.wrap(err);
      });
      o.check();
      for (const w of r.warnings) events.warning(`${t.path}/${w}`);
      if (r.warningCount > r.warnings.length) events.warning(`${t.path}: ${r.warningCount - r.warnings.length} more attributes not restored`);
      (staged[staged.length - 1] as { root?: RootMeta | undefined }).root = r.root;
    }
  } catch (err) {
    // Nothing changed: the staging folders go, and the mount points get their times back.
    offInterrupt();
    dropStaging();
    throw err;
  }
  // From here on the swap runs without an await: a signal is handled once it is done.
  offInterrupt();
  // 2. Swap: move the current contents aside, the staged tree in, then drop the old one. Mount
  //    points nested in the volume (another volume at /data/inner) stay where they are.
  for (const s of staged) {
    const old = join(s.path, `.dockside-old-${tag}`);
    const skip = new Set([`.dockside-restore-${tag}`, `.dockside-old-${tag}`]);
    swapLevel(Buffer.from(s.path), Buffer.from(s.staging), Buffer.from(old), s.nested, skip);
    fs.rmSync(s.staging, { recursive: true, force: true });
    fs.rmSync(old, { recursive: true, force: true });
    applyRoot(s.path, s.root, events);
  }
  progress.stop();
  events.result({ restored: job.items.map((t) => ({ file: t.file, path: t.path })) });
}

export async function runDumpOut(job: DumpOutJob, destination: Destination): Promise<void> {
  await destination.checkReadable();
  await checkArchive(destination, job.id, job.archive);
  const o = await openChecked(destination, job.id, job.archive, job.compression, true);
  await pipeline(o.stream, process.stdout).catch((err) => {
    throw o.wrap(err);
  });
  o.check();
}
