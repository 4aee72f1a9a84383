/**
 * Locks as restic's (`locks/<id>`): backup holds a non-exclusive lock, check and prune an
 * exclusive one. A lock not refreshed for 30 minutes is stale and ignored (so is one of a process
 * on this host that no longer runs); ours is refreshed every 5 minutes (a new file, then the old
 * one removed). After writing ours we look again, as restic does, to lose races cleanly.
 */
import { hostname as osHostname } from 'node:os';
import { currentUser } from './current-user.js';
import { RepositoryLockedError } from './errors.js';
import { goTime, parseGoTime } from './json.js';
import type { Repository } from './repository.js';

export interface LockJson {
  time: string;
  exclusive: boolean;
  hostname: string;
  username: string;
  pid: number;
  uid?: number | undefined;
  gid?: number | undefined;
}

export const STALE_AFTER_MS = 30 * 60 * 1000;
export const REFRESH_EVERY_MS = 5 * 60 * 1000;

export interface LockOptions {
  exclusive: boolean;
  /** Injected clock (ms since the epoch), for tests. */
  now?: () => number;
  hostname?: string;
  pid?: number;
  /** Whether a pid on this host is alive; default process.kill(pid, 0). */
  alive?: (pid: number) => boolean;
}

export interface HeldLock {
  readonly id: string;
  refresh(): Promise<void>;
  release(): Promise<void>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function isStale(l: LockJson, nowMs: number, host: string, alive: (pid: number) => boolean): boolean {
  let t: number;
  try {
    t = Number(parseGoTime(l.time) / 1_000_000n);
  } catch {
    return true;
  }
  if (nowMs - t > STALE_AFTER_MS) return true;
  return l.hostname === host && !alive(l.pid);
}

async function conflicts(repo: Repository, own: string | undefined, o: Required<Omit<LockOptions, 'exclusive'>> & { exclusive: boolean }): Promise<LockJson | undefined> {
  for (const f of await repo.backend.list('lock')) {
    if (f.name === own) continue;
    let l: LockJson;
    try {
      l = await repo.loadJson<LockJson>('lock', f.name);
    } catch {
      continue; // removed meanwhile, or written by someone with another key
    }
    if (isStale(l, o.now(), o.hostname, o.alive)) continue;
    if (o.exclusive || l.exclusive) return l;
  }
  return undefined;
}

export async function lockRepository(repo: Repository, opts: LockOptions): Promise<HeldLock> {
  const o = { now: Date.now, hostname: osHostname(), pid: process.pid, alive: isAlive, ...opts };
  const describe = (l: LockJson) => `${l.exclusive ? 'an exclusive' : 'a'} lock held by PID ${l.pid} on ${l.hostname} (user ${l.username}) since ${l.time}`;
  const before = await conflicts(repo, undefined, o);
  if (before) throw new RepositoryLockedError(`${repo.backend.location} is locked: ${describe(before)}`);
  const { username, uid, gid } = currentUser();
  const write = () =>
    repo.saveJson('lock', { time: goTime(BigInt(o.now()) * 1_000_000n), exclusive: o.exclusive, hostname: o.hostname, username, pid: o.pid, uid, gid } satisfies LockJson);
  let id = await write();
  const after = await conflicts(repo, id, o);
  if (after) {
    await repo.backend.remove('lock', id);
    throw new RepositoryLockedError(`${repo.backend.location} is locked: ${describe(after)}`);
  }
  let released = false;
  const timer = setInterval(() => void held.refresh().catch(() => undefined), REFRESH_EVERY_MS);
  timer.unref();
  const held: HeldLock = {
    get id() {
      return id;
    },
    async refresh() {
      if (released) return;
      const old = id;
      id = await write();
      await repo.backend.remove('lock', old);
    },
    async release() {
      released = true;
      clearInterval(timer);
      await repo.backend.remove('lock', id);
    },
  };
  return held;
}
