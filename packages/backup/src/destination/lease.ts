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
import { MANIFEST_FILE } from '../model.js';
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
  if (local?.bootId && l.bootId === local.bootId && !local.activeIds.has(l.id)) return false;
  const at = Date.parse(l.renewedAt);
  return Number.isFinite(at) && now - at < l.ttlMs;
}

/** The live lease of a backup folder, if any. */
export async function liveLease(destination: Destination, id: string, local?: LocalWriters, now = Date.now()): Promise<Lease | undefined> {
  const l = parseLease(await destination.read(id, LEASE_FILE).catch(() => undefined));
  return isLive(l, now, local) ? l : undefined;
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
export async function acquireLease(destination: Destination, id: string, startedAt: string, local: LocalWriters, ttlMs = DEFAULT_LEASE_TTL_MS): Promise<HeldLease> {
  const mine: Lease = { id, holder: `${hostname()} pid ${process.pid}`, startedAt, renewedAt: new Date().toISOString(), ttlMs, ...(local.bootId ? { bootId: local.bootId } : {}) };
  const write = () => destination.write(id, LEASE_FILE, Buffer.from(JSON.stringify({ ...mine, renewedAt: new Date().toISOString() })));
  for (let attempt = 0; ; attempt++) {
    const others = await liveWriters(destination, local, id);
    if (others[0]) throw busy(destination, others[0]);
    await write();
    const rival = (await liveWriters(destination, local, id))[0];
    if (!rival) break;
    await destination.removeFile(id, LEASE_FILE).catch(() => undefined);
    if (attempt >= 4) throw busy(destination, rival);
    await new Promise((r) => setTimeout(r, 50 + Math.floor(Math.random() * 400)));
  }
  let renewing: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    renewing = write().catch(() => undefined);
  }, Math.max(200, Math.floor(ttlMs / 4)));
  timer.unref();
  return {
    async release(keep = false) {
      clearInterval(timer);
      await renewing;
      if (!keep) await destination.removeFile(id, LEASE_FILE).catch(() => undefined);
    },
  };
}
