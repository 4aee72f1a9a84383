/**
 * One writer at a time per destination: a backup holds a lease (`<id>/lease.json`: holder, start,
 * last renewal, time to live) that it renews while it writes. A second backup to the same
 * destination sees a live lease and stops with exit code 5 and one line; a lease that was not
 * renewed within its time to live belongs to a killed writer, and its backup is a leftover the next
 * writer removes. Leftover sweeps and prune never remove a backup whose lease is live.
 * A lease written on this machine (same kernel boot id) by a backup that is not running on this
 * engine (the host's list of running backup sidecars) is dead at once: its sidecar was killed.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { EXIT, UserError } from '@dockside/common';
import { IN_PROGRESS_FILE, MANIFEST_FILE } from '../model.js';
import type { Destination } from './destination.js';

export const LEASE_FILE = 'lease.json';
export const DEFAULT_LEASE_TTL_MS = 60_000;

export interface Lease {
  id: string;
  holder: string;
  startedAt: string;
  renewedAt: string;
  ttlMs: number;
  bootId?: string;
  /** When this writer first took the lease (its sidecar was running then). */
  acquiredAt?: string;
}

/** This kernel's boot id (shared by the host and its containers), or undefined. */
export function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** What the caller knows about writers on its own engine. */
export interface LocalWriters {
  /** Backup ids whose sidecars run on this engine now. */
  activeIds: Set<string>;
  bootId?: string | undefined;
  /**
   * When `activeIds` was listed (ms). A lease first taken after that may belong to a sidecar that
   * started since: it is not dead just because the list lacks it.
   */
  seenAt?: number | undefined;
}

export function parseLease(buf: Buffer | undefined): Lease | undefined {
  if (!buf) return undefined;
  try {
    const l = JSON.parse(buf.toString('utf8')) as Lease;
    return typeof l.renewedAt === 'string' && typeof l.ttlMs === 'number' ? l : undefined;
  } catch {
    return undefined;
  }
}

/** Live: renewed within its time to live (a clock step back counts as live). */
export function isLive(l: Lease | undefined, now: number, local?: LocalWriters): boolean {
  if (!l) return false;
  if (local?.bootId && l.bootId === local.bootId && !local.activeIds.has(l.id)) {
    const acquired = Date.parse(l.acquiredAt ?? l.startedAt);
    if (local.seenAt === undefined || (Number.isFinite(acquired) && acquired < local.seenAt - 1000)) return false;
  }
  const at = Date.parse(l.renewedAt);
  return Number.isFinite(at) && now - at < l.ttlMs;
}

/** The live lease of a backup folder, if any. */
export async function liveLease(destination: Destination, id: string, local?: LocalWriters, now = Date.now()): Promise<Lease | undefined> {
  const l = parseLease(await destination.read(id, LEASE_FILE).catch(() => undefined));
  return isLive(l, now, local) ? l : undefined;
}

/**
 * A leftover the sweep and prune may remove: no manifest, dockside's own marker in it (the
 * in-progress record or a lease: a folder dockside never wrote has neither), and no live lease.
 */
export async function isDeadLeftover(destination: Destination, id: string, local: LocalWriters): Promise<boolean> {
  if (await destination.read(id, MANIFEST_FILE)) return false;
  const marker = (await destination.read(id, IN_PROGRESS_FILE)) ?? (await destination.read(id, LEASE_FILE));
  if (!marker) return false;
  return !(await liveLease(destination, id, local));
}

/** Incomplete backups (no manifest) other than `self` whose lease is live. */
export async function liveWriters(destination: Destination, local: LocalWriters | undefined, self?: string): Promise<Lease[]> {
  const out: Lease[] = [];
  const now = Date.now();
  for (const id of await destination.listIds()) {
    if (id === self) continue;
    const l = await liveLease(destination, id, local, now);
    if (l && !(await destination.read(id, MANIFEST_FILE).catch(() => undefined))) out.push(l);
  }
  return out;
}

function busy(destination: Destination, other: Lease): UserError {
  const ago = Math.max(0, Math.round((Date.now() - Date.parse(other.renewedAt)) / 1000));
  return new UserError(`destination ${destination.description} is in use by backup ${other.id} (${other.holder}, renewed ${ago}s ago)`, {
    exitCode: EXIT.busy,
    code: 'EBUSY',
    hint: `wait for it to finish; a killed writer's lease expires ${Math.round(other.ttlMs / 1000)}s after its last renewal`,
  });
}

export interface HeldLease {
  /** Stop renewing; remove the lease unless `keep` (a later step of the same backup renews it). */
  release(keep?: boolean): Promise<void>;
}

/**
 * Take the destination's lease for backup `id`, or fail with exit code 5 when another writer holds
 * a live one. Each writer writes its lease, then looks again, and backs off if it sees any other:
 * two writers that both keep theirs would each have to miss the other's lease, which cannot happen
 * (the later writer's second look follows the earlier one's write). One that backed off tries again
 * after a random pause, so that two writers starting at once end with one of them holding it.
 */
export async function acquireLease(
  destination: Destination,
  id: string,
  startedAt: string,
  local: LocalWriters,
  ttlMs = DEFAULT_LEASE_TTL_MS,
  opts: { fresh?: boolean } = {},
): Promise<HeldLease> {
  const mine: Lease = {
    id,
    holder: `${hostname()} pid ${process.pid}`,
    startedAt,
    renewedAt: new Date().toISOString(),
    ttlMs,
    ...(local.bootId ? { bootId: local.bootId } : {}),
    acquiredAt: new Date().toISOString(),
  };
  const body = () => Buffer.from(JSON.stringify({ ...mine, renewedAt: new Date().toISOString() }));
  const write = () => destination.write(id, LEASE_FILE, body());
  let created = false;
  try {
    for (let attempt = 0; ; attempt++) {
      // Nothing is written while another writer holds the destination.
      const others = await liveWriters(destination, local, id);
      if (others[0]) throw busy(destination, others[0]);
      if (opts.fresh) {
        // A new backup's folder and lease are created exclusively: two runs never share them.
        if (!created) await destination.create(id);
        created = true;
        if (!(await destination.writeExclusive(id, LEASE_FILE, body()))) throw busy(destination, parseLease(await destination.read(id, LEASE_FILE)) ?? mine);
      } else await write();
      const rival = (await liveWriters(destination, local, id))[0];
      if (!rival) break;
      await destination.removeFile(id, LEASE_FILE).catch(() => undefined);
      if (attempt >= 4) throw busy(destination, rival);
      await new Promise((r) => setTimeout(r, 50 + Math.floor(Math.random() * 400)));
    }
  } catch (err) {
    // Remove only what this run created: its own folder, which holds nothing else yet.
    if (created) await destination.removeBackup(id).catch(() => undefined);
    throw err;
  }
  let renewing: Promise<void> = Promise.resolve();
  const timer = setInterval(
    () => {
      renewing = write().catch(() => undefined);
    },
    Math.max(200, Math.floor(ttlMs / 4)),
  );
  timer.unref();
  return {
    async release(keep = false) {
      clearInterval(timer);
      await renewing;
      if (!keep) await destination.removeFile(id, LEASE_FILE).catch(() => undefined);
    },
  };
}
