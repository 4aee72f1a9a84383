/**
 * What to do about the slots that came due since a job's last handled slot: the decision the
 * scheduler loop takes on every tick, on start-up after downtime, and after a clock step.
 *   - nothing is due: wait (this is also what a clock stepped back gives: slots up to the last
 *     handled one are never run twice);
 *   - the newest due slot is on time (within `graceMs`) or, after downtime, younger than the job's
 *     deadline: run it, once, and record every older one as missed;
 *   - otherwise: record them all as missed (no deadline, no catch-up).
 */
import { nextSlot, slotsBetween, type Schedule } from './slots.js';

export interface DuePlan {
  /** The slot to run now, if any. */
  run?: number;
  /** Slots recorded as missed (oldest first), at most `cap` of them. */
  missed: number[];
  /** How many were missed in all (more than missed.length when capped). */
  missedCount: number;
  /** The newest missed slot, if any. */
  newestMissed?: number;
  /** The newest slot <= now: the job's new last handled slot (unchanged when nothing is due). */
  handledUpTo: number;
}

export interface DueOptions {
  /** Catch-up window after downtime (ms); 0 or undefined: none. */
  deadlineMs?: number;
  /** A slot this young counts as on time, whatever the deadline (timer latency, a busy loop). */
  graceMs?: number;
  /** How many missed slots to list one by one. */
  cap?: number;
}

export const DEFAULT_GRACE_MS = 10_000;
/** Counting stops here (a per-second job after a long downtime); the newest slot is still found. */
const COUNT_LIMIT = 200_000;

export function planDue(s: Schedule, lastHandled: number, now: number, opts: DueOptions = {}): DuePlan {
  const cap = opts.cap ?? 1000;
  const grace = opts.graceMs ?? DEFAULT_GRACE_MS;
  const listed: number[] = [];
  let count = 0;
  let latest: number | undefined;
  let previous: number | undefined;
  let t: number | null = lastHandled;
  while ((t = nextSlot(s, t)) !== null && t <= now) {
    count++;
    previous = latest;
    latest = t;
    if (listed.length < cap + 1) listed.push(t);
    if (count >= COUNT_LIMIT) {
      const near = slotsBetween(s, Math.max(t, now - Math.max(grace, opts.deadlineMs ?? 0) - 1000), now, COUNT_LIMIT);
      if (near.length) {
        latest = near[near.length - 1] as number;
        previous = near.length > 1 ? near[near.length - 2] : t;
      }
      break;
    }
  }
  if (latest === undefined) return { missed: [], missedCount: 0, handledUpTo: lastHandled };
  const age = now - latest;
  const runIt = age <= grace || (opts.deadlineMs !== undefined && opts.deadlineMs > 0 && age <= opts.deadlineMs);
  const missed = listed.filter((x) => !(runIt && x === latest)).slice(0, cap);
  const missedCount = runIt ? count - 1 : count;
  const newestMissed = runIt ? previous : latest;
  return { ...(runIt ? { run: latest } : {}), missed, missedCount, ...(missedCount > 0 && newestMissed !== undefined ? { newestMissed } : {}), handledUpTo: latest };
}
