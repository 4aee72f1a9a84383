/** The restore job: archives staged beside the live paths, checked, then swapped in level by level. */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { UserError } from '@dockside/common';
import { makeExcluder } from '../glob.js';
import { type RestoreJob } from '../model.js';
import type { Destination } from '../destination/destination.js';
import { loadFsx } from './fsx.js';
import { onInterrupt } from './interrupts.js';
import { extractTar, type RootMeta } from './tar-read.js';
import { RESERVED_ROOT } from './tar-write.js';
import { mtimeOf, setTimes, type Mtime } from './times.js';
import { applyXattrs } from './xattrs.js';
import { openChecked } from './archive-read.js';
import { Progress, type JobEvents } from './job-events.js';

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

export async function restoreArchives(job: RestoreJob, destination: Destination, events: JobEvents): Promise<void> {
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
