/**
 * The file operations of the config sidecar, on the target's volumes (joined with --volumes-from,
 * so a path here is the path the app sees). Nothing is ever written in place: a new version is
 * staged beside the file (`.<name>.dockside-staged-<random>`, a copy of the file made by GNU cp
 * with its owner, mode and xattrs, then given the new bytes), and put in place by rename(2), so
 * the app reads the old file or the new one, never a mix. The replaced file is kept by a hard link
 * in `.dockside-config/<name>/` beside it: the same inode, so byte for byte with its owner, mode,
 * xattrs and times.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { link, lstat, mkdir, open, readdir, readFile, realpath, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { UsageError, UserError } from '@dockside/common';
import { HISTORY_DIR, HISTORY_KEEP, STAGED_MARK, type FileInfo, type HistoryEntry } from '../events.js';

const MAX_BYTES = 16 * 1024 * 1024;

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function fsFailure(path: string, err: unknown): UserError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT')
    return new UsageError(`no such file ${path} in the container's volumes`, {
      hint: 'give the path as the app sees it; `dockside probe <container> --role config` lists its volumes',
    });
  if (code === 'EROFS') return new UsageError(`${path} is on a read-only mount`, { hint: 'mount the volume read-write in the app, or change the file where it is written from' });
  if (code === 'ENOSPC' || code === 'EDQUOT') return new UserError(`no space left on the volume holding ${path}; nothing was changed`);
  return new UserError(`${path}: ${(err as Error).message}`);
}

/**
 * `path` with its directories resolved, refused unless it stays inside the mount at `root` (the
 * volume or bind mount the CLI found the path in). A symbolic link among the directories that leads
 * elsewhere (`conf -> ../../etc`) would otherwise make the sidecar read or write outside the
 * volume: in its own root, or in another of the app's volumes. Links inside the volume are fine.
 */
export async function confine(path: string, root: string): Promise<string> {
  if (!path.startsWith('/') || path.split('/').some((p) => p === '..' || p === '.')) throw new UsageError(`${path}: give an absolute path without . or .. segments`);
  const r = root.replace(/\/+$/, '') || '/';
  if (path !== r && !path.startsWith(r === '/' ? '/' : `${r}/`)) throw new UsageError(`${path} is not inside ${r}`);
  let realRoot: string;
  let realDir: string;
  try {
    realRoot = await realpath(r);
    realDir = await realpath(dirname(path));
  } catch (err) {
    throw fsFailure(path, err);
  }
  if (realDir !== realRoot && !realDir.startsWith(realRoot === '/' ? '/' : `${realRoot}/`)) {
    throw new UsageError(`${path} leads out of the volume mounted at ${r}: a symbolic link among its directories points to ${realDir}; nothing was read or changed`, {
      hint: `give the path of the file inside ${r} (a link that leaves the volume is never followed)`,
    });
  }
  // Named from the mount as the app sees it (the sidecar's own root may spell the way there differently).
  return join(r, relative(realRoot, realDir), basename(path));
}

/** The file's metadata and bytes; refuses what is not a regular file (a symlink would be replaced by a file). */
export async function readRegular(path: string): Promise<{ info: FileInfo; content: Buffer }> {
  let st;
  try {
    st = await lstat(path);
  } catch (err) {
    throw fsFailure(path, err);
  }
  if (st.isSymbolicLink()) throw new UsageError(`${path} is a symbolic link`, { hint: 'give the path of the file it points to (a rename would replace the link by a file)' });
  if (!st.isFile()) throw new UsageError(`${path} is not a regular file`);
  if (st.size > MAX_BYTES) throw new UsageError(`${path} is ${st.size} bytes: larger than a configuration file (${MAX_BYTES})`);
  const content = await readFile(path);
  return { info: infoOf(path, st, content), content };
}

function infoOf(path: string, st: { uid: number; gid: number; mode: number; size: number; mtime: Date }, content: Buffer): FileInfo {
  return { path, uid: st.uid, gid: st.gid, mode: st.mode & 0o7777, size: st.size, sha256: sha256(content), mtime: st.mtime.toISOString() };
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-2000)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new UserError(`${cmd} failed: ${err.trim() || `exit ${code}`}`))));
  });
}

export function stagedPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}${STAGED_MARK}${randomBytes(4).toString('hex')}`);
}

/**
 * A copy of `like` (owner, mode, xattrs: GNU cp) beside `path`, then given `content` if any.
 * On any failure the copy is removed.
 */
export async function stage(path: string, like: string, content: Buffer | undefined): Promise<{ staged: string; sha256: string }> {
  await readRegular(path);
  const staged = stagedPathFor(path);
  // Interrupted (the CLI forwards Ctrl-C and SIGTERM): the copy goes before the program does.
  const onSignal = (sig: NodeJS.Signals) => {
    rmSync(staged, { force: true });
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await run('cp', ['--no-dereference', '--preserve=mode,ownership,xattr', '--', like, staged]);
    if (content) {
      const fh = await open(staged, 'r+');
      try {
        await fh.truncate(0);
        await fh.write(content, 0, content.length, 0);
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
    const bytes = await readFile(staged);
    return { staged, sha256: sha256(bytes) };
  } catch (err) {
    await rm(staged, { force: true }).catch(() => undefined);
    throw err instanceof UserError ? err : fsFailure(path, err);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Only a staged copy dockside made (by its name) is ever removed. */
export async function discard(staged: string): Promise<void> {
  if (!basename(staged).includes(STAGED_MARK)) throw new UsageError(`${staged} is not a staged copy`);
  await rm(staged, { force: true });
}

function historyDir(path: string): string {
  return join(dirname(path), HISTORY_DIR, basename(path));
}

/** The history directories are dockside's: a symbolic link there (planted by the app) is refused, not followed. */
async function refuseLinkedHistory(path: string): Promise<void> {
  for (const d of [join(dirname(path), HISTORY_DIR), historyDir(path)]) {
    const st = await lstat(d).catch(() => undefined);
    if (st && !st.isDirectory())
      throw new UsageError(`${d} is not a directory dockside made (${st.isSymbolicLink() ? 'a symbolic link' : 'a file'}); nothing was changed`, {
        hint: `remove or rename ${d} in the container`,
      });
  }
}

const ENTRY = /^(\d+)-(\d+)-([0-9a-f]{64})$/;

export async function listHistory(path: string): Promise<HistoryEntry[]> {
  await refuseLinkedHistory(path);
  const dir = historyDir(path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fsFailure(dir, err);
  }
  const out: HistoryEntry[] = [];
  for (const name of names) {
    const m = ENTRY.exec(name);
    if (!m) continue;
    const st = await lstat(join(dir, name)).catch(() => undefined);
    if (!st?.isFile()) continue;
    out.push({ n: Number(m[1]), replacedAt: new Date(Number(m[2])).toISOString(), sha256: m[3] as string, size: st.size, uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 });
  }
  return out.sort((a, b) => a.n - b.n);
}

export async function historyFile(path: string, n: number): Promise<string> {
  const hit = (await listHistory(path)).find((e) => e.n === n);
  if (!hit) throw new UsageError(`${path} has no kept version ${n}`, { hint: 'see `dockside config history <container> <path>`' });
  return join(historyDir(path), `${hit.n}-${Date.parse(hit.replacedAt)}-${hit.sha256}`);
}

/**
 * Keep the file as it is now in the history (a hard link), then rename the staged copy over it.
 * Refuses when the file changed since it was read (`expect`): someone else wrote it meanwhile.
 */
export async function commit(path: string, staged: string, expect: string): Promise<{ saved: HistoryEntry; current: FileInfo }> {
  if (!basename(staged).includes(STAGED_MARK) || dirname(staged) !== dirname(path)) throw new UsageError(`${staged} is not a staged copy of ${path}`);
  const { info, content } = await readRegular(path);
  if (info.sha256 !== expect) {
    throw new UserError(`${path} changed while this change was prepared (sha256 ${info.sha256.slice(0, 12)}, read as ${expect.slice(0, 12)}); nothing was changed`, {
      hint: 'run the command again to start from the file as it is now',
    });
  }
  const dir = historyDir(path);
  try {
    await refuseLinkedHistory(path);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const kept = await listHistory(path);
    const n = (kept.at(-1)?.n ?? 0) + 1;
    const now = Date.now();
    const entry = join(dir, `${n}-${now}-${sha256(content)}`);
    await link(path, entry);
    try {
      await rename(staged, path);
    } catch (err) {
      await unlink(entry).catch(() => undefined);
      throw err;
    }
    await syncDir(dirname(path));
    await syncDir(dir);
    for (const old of kept.slice(0, Math.max(0, kept.length + 1 - HISTORY_KEEP)))
      await unlink(join(dir, `${old.n}-${Date.parse(old.replacedAt)}-${old.sha256}`)).catch(() => undefined);
    const now2 = await readRegular(path);
    return { saved: { n, replacedAt: new Date(now).toISOString(), sha256: info.sha256, size: info.size, uid: info.uid, gid: info.gid, mode: info.mode }, current: now2.info };
  } catch (err) {
    throw err instanceof UserError ? err : fsFailure(path, err);
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
