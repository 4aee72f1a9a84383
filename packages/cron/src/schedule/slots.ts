/**
 * When a schedule fires, in its time zone, with the daylight-saving rules of Vixie cron:
 *   - a wall-clock time the clocks skip (spring forward) fires once, at the instant of the jump;
 *   - a wall-clock time that happens twice (fall back) fires once, on its first pass, unless the
 *     schedule matches every hour (then both passes are real, distinct hours and both fire).
 * Slots are instants (ms since the epoch, whole seconds). Nothing here reads the clock.
 */
import { parseCron, ScheduleError, type CronExpression } from './parse.js';
import { TimeZone, checkTimeZone } from './timezone.js';

const SECOND = 1000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** How far to look for a match before calling a schedule one that never fires (covers 29 Feb). */
const HORIZON_DAYS = 366 * 8 + 2;

export interface Schedule {
  expression: CronExpression;
  zone: TimeZone;
}

/** Parse and check: the expression, the time zone, and that it fires at all. */
export function createSchedule(expr: string, timezone = 'UTC'): Schedule {
  const expression = parseCron(expr);
  const bad = checkTimeZone(timezone);
  if (bad) throw new ScheduleError('timezone', bad);
  const s = { expression, zone: TimeZone.of(timezone) };
  if (nextWall(expression, Date.UTC(2000, 0, 1)) === null) {
    throw new ScheduleError('schedule', `"${expression.source}" never fires (no date matches its day, month and weekday fields)`);
  }
  return s;
}

function dayMatches(e: CronExpression, w: number): boolean {
  const d = new Date(w);
  const month = d.getUTCMonth() + 1;
  if (!e.fields.month.includes(month)) return false;
  const dom = d.getUTCDate();
  const lastDom = new Date(Date.UTC(d.getUTCFullYear(), month, 0)).getUTCDate();
  const domOk = e.fields.dayOfMonth.some((v) => (v === 'L' ? dom === lastDom : v === dom));
  if (!domOk) return false;
  const dow = d.getUTCDay();
  return e.fields.dayOfWeek.some((v) => {
    if (typeof v === 'number') return v % 7 === dow;
    const nth = /^(\d)#(\d)$/.exec(v);
    if (nth) return Number(nth[1]) % 7 === dow && Math.ceil(dom / 7) === Number(nth[2]);
    const last = /^(\d)L$/.exec(v);
    if (last) return Number(last[1]) % 7 === dow && dom + 7 > lastDom;
    return false;
  });
}

/** The first wall-clock time >= `from` (a wall time) that the fields match, or null within the horizon. */
export function nextWall(e: CronExpression, from: number): number | null {
  const start = Math.ceil(from / SECOND) * SECOND;
  const startDay = Math.floor(start / DAY) * DAY;
  const { hour, minute, second } = e.fields;
  for (let i = 0; i < HORIZON_DAYS; i++) {
    const day = startDay + i * DAY;
    if (!dayMatches(e, day)) continue;
    for (const h of hour) {
      if (day + (h + 1) * HOUR <= start) continue;
      for (const m of minute) {
        const base = day + h * HOUR + m * 60_000;
        if (base + 60_000 <= start) continue;
        for (const s of second) {
          const w = base + s * SECOND;
          if (w >= start) return w;
        }
      }
    }
  }
  return null;
}

/** The instants a matching wall time fires at, under the DST rules above. */
function firingInstants(s: Schedule, w: number): number[] {
  const { instants, gapEnd } = s.zone.instants(w);
  if (instants.length === 0) return gapEnd === undefined ? [] : [gapEnd];
  if (instants.length > 1 && !s.expression.everyHour) return instants.slice(0, 1);
  return instants;
}

/** The first slot strictly after the instant `after`, or null if the schedule never fires again. */
export function nextSlot(s: Schedule, after: number): number | null {
  const a = Math.floor(after / SECOND) * SECOND;
  // Fast path: no offset change within three hours either side (nearly always).
  const off = s.zone.offset(a);
  if (s.zone.offset(a - 3 * HOUR) === off && s.zone.offset(a + 3 * HOUR) === off) {
    const w = nextWall(s.expression, a + off + SECOND);
    if (w === null) return null;
    if (w - off <= a + 3 * HOUR) return w - off;
  }
  // General case: walk matching wall times from two hours before `after`'s wall time, keeping the
  // earliest firing instant after `after`, until the wall times are well past it.
  let best: number | null = null;
  let w = nextWall(s.expression, s.zone.wall(a) - 2 * HOUR);
  for (let guard = 0; w !== null && guard < 100_000; guard++) {
    if (best !== null && w > s.zone.wall(best) + 2 * HOUR) break;
    for (const t of firingInstants(s, w)) if (t > a && (best === null || t < best)) best = t;
    w = nextWall(s.expression, w + SECOND);
  }
  return best;
}

/** The next `n` slots after `after`. */
export function nextSlots(s: Schedule, after: number, n: number): number[] {
  const out: number[] = [];
  let t: number | null = after;
  while (out.length < n && (t = nextSlot(s, t)) !== null) out.push(t);
  return out;
}

/** Slots in (after, until], at most `cap` of them (the caller learns it was capped from the count). */
export function slotsBetween(s: Schedule, after: number, until: number, cap = 10_000): number[] {
  const out: number[] = [];
  let t: number | null = after;
  while (out.length < cap && (t = nextSlot(s, t)) !== null && t <= until) out.push(t);
  return out;
}
