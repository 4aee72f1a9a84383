/**
 * The sidecar's repository jobs (restic's format, @dockside/repository): a backup writes one
 * snapshot of every source under its mount path; a restore stages each snapshot directory on its
 * volume, every blob checked (MAC, hash, decompressed length) on the way, and swaps the staged
 * trees in only when all of them were restored whole: a damaged repository changes nothing.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { UserError } from '@dockside/common';
import { Archiver, DirBackend, lockRepository, MasterIndex, readPasswordFile, Repository, Restorer, type TreeNode } from '@dockside/repository';
import { makeExcluder } from '../glob.js';
import type { RepoBackupJob, RepoRestoreJob, RepositoryConfig } from '../model.js';
import { loadFsx } from './fsx.js';
import { onInterrupt } from './interrupts.js';
import { matching, swapLevel } from './archive-restore.js';
import type { JobEvents } from './job-events.js';
import { RESERVED_ROOT, scanTree } from './tar-write.js';
import { mtimeOf, setTimes, type Mtime } from './times.js';

async function openRepository(r: RepositoryConfig): Promise<Repository> {
  return Repository.open(new DirBackend(r.root), readPasswordFile(r.passwordFile, 'repository password file'));
}

export async function runRepoBackup(job: RepoBackupJob, events: JobEvents): Promise<void> {
  const repo = await openRepository(job.repository);
  const fsx = loadFsx() ?? undefined;
  const warnings: string[] = [];
  const roots = [];
  let plan = { files: 0, bytes: 0 };
  for (const s of job.sources) {
    const st = fs.statSync(s.mountPoint, { throwIfNoEntry: false });
    if (!st) throw new UserError(`mount ${s.mountPoint} is not visible in the backup sidecar`, { hint: "the target's mounts changed while the backup started: run it again" });
    if (!st.isDirectory()) {
      const w = `${s.mountPoint} is a bind-mounted ${st.isSocket() ? 'socket' : 'file'}, not a directory; not backed up`;
      events.warning(w);
      warnings.push(w);
      continue;
    }
    const nested = new Set(s.nested ?? []);
    const ex = makeExcluder(s.excludes ?? job.excludes);
    // Nested mounts are other volumes (their own roots, if selected); restore staging is ours.
    const exclude = (rel: string) => nested.has(rel) || ex(rel) || (!rel.includes('/') && RESERVED_ROOT.test(rel));
    const p = scanTree(s.mountPoint, exclude);
    plan = { files: plan.files + p.files, bytes: plan.bytes + p.bytes };
    roots.push({ source: s.mountPoint, path: s.mountPoint, exclude });
  }
  if (roots.length === 0) {
    throw new UserError(`nothing was backed up: ${job.sources.map((s) => s.mountPoint).join(', ')} ${job.sources.length === 1 ? 'is not a directory' : 'are not directories'}`, {
      hint: 'back up a mount that is a directory (--volume <mount path>)',
    });
  }
  events.progress('plan', plan);
  let last = 0;
  const r = await Archiver.backup(repo, {
    roots,
    hostname: job.hostname,
    tags: job.tags,
    excludes: job.excludes,
    ...(fsx ? { fsx } : {}),
    onProgress: (p) => {
      const now = Date.now();
      if (now - last < 500) return;
      last = now;
      events.progress('progress', { files: p.files, bytes: p.bytes, stored: p.stored });
    },
    onReadDone: () => events.progress('read-done', {}),
  });
  const s = r.stats;
  events.progress('progress', { files: s.files, bytes: plan.bytes, stored: s.storedBytes });
  events.result({
    snapshot: {
      id: r.id,
      time: r.snapshot.time,
      hostname: r.snapshot.hostname,
      paths: r.snapshot.paths,
      tags: r.snapshot.tags ?? [],
      ...(r.snapshot.parent ? { parent: r.snapshot.parent } : {}),
      files: s.files,
      dirs: s.dirs,
      unchangedFiles: s.unchangedFiles,
      readBytes: s.readBytes,
      newBlobs: s.newBlobs,
      newBytes: s.newBytes,
      storedBytes: s.storedBytes,
      warnings,
    },
  });
}

export async function runRepoRestore(job: RepoRestoreJob, events: JobEvents): Promise<void> {
  const repo = await openRepository(job.repository);
  const fsx = loadFsx() ?? undefined;
  // A non-exclusive lock, as restic's restore: a prune cannot remove packs under us.
  const lock = await lockRepository(repo, { exclusive: false });
  const tag = job.snapshot.slice(0, 16);
  const staged: Array<{ path: string; staging: string; root: TreeNode; before: Mtime; nested: string[] }> = [];
  const dropStaging = () => {
    for (const s of staged) {
      fs.rmSync(s.staging, { recursive: true, force: true });
      setTimes(loadFsx(), Buffer.from(s.path), s.before, true);
    }
  };
  const offInterrupt = onInterrupt(dropStaging);
  let restorer: Restorer;
  try {
    const snap = await repo.loadJson<{ tree: string }>('snapshot', job.snapshot);
    const index = await MasterIndex.load(repo);
    let last = 0;
    restorer = new Restorer(repo, index, {
      ...(fsx ? { fsx } : {}),
      onProgress: (s) => {
        const now = Date.now();
        if (now - last < 500) return;
        last = now;
        events.progress('progress', { files: s.files, bytes: s.bytes, stored: 0 });
      },
    });
    // 1. Each snapshot directory into a staging folder on its own volume (renames stay cheap).
    for (const t of job.items) {
      for (const n of fs.readdirSync(t.path)) if (RESERVED_ROOT.test(n)) fs.rmSync(join(t.path, n), { recursive: true, force: true });
      const staging = join(t.path, `.dockside-restore-${tag}`);
      const before = mtimeOf(fs.statSync(t.path, { bigint: true }));
      const entry = { path: t.path, staging, before, nested: [...(t.nested ?? []), ...matching(t.path, t.excludes ?? [])], root: undefined as unknown as TreeNode };
      staged.push(entry);
      try {
        entry.root = await restorer.restorePath(snap.tree, t.from, staging);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOSPC')
          throw new UserError(`no space left on the volume at ${t.path} while restoring (it needs room for a second copy during the restore); nothing was changed`, {
            hint: 'free space on that volume, or restore with --into-volume <new-volume>',
          });
        throw err;
      }
    }
  } catch (err) {
    offInterrupt();
    dropStaging();
    await lock.release().catch(() => undefined);
    if (err instanceof UserError) throw new UserError(`${err.message}; nothing was changed`, { exitCode: err.exitCode, code: err.code, ...(err.hint ? { hint: err.hint } : {}) });
    throw err;
  }
  offInterrupt();
  // 2. Every blob matched: swap (no await in between; a signal waits until it is done).
  try {
    for (const s of staged) {
      const old = join(s.path, `.dockside-old-${tag}`);
      swapLevel(Buffer.from(s.path), Buffer.from(s.staging), Buffer.from(old), s.nested, new Set([`.dockside-restore-${tag}`, `.dockside-old-${tag}`]));
      fs.rmSync(s.staging, { recursive: true, force: true });
      fs.rmSync(old, { recursive: true, force: true });
      await restorer.applyMeta(s.root, s.path);
    }
  } finally {
    await lock.release().catch(() => undefined);
  }
  const st = restorer.restoreStats;
  for (const sk of st.skipped.slice(0, 100)) events.warning(`${sk}: not restored (devices and sockets cannot be made here)`);
  events.progress('progress', { files: st.files, bytes: st.bytes, stored: 0 });
  events.result({ restored: job.items.map((t) => ({ file: t.from, path: t.path })) });
}
