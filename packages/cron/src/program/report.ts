/** What `cron ls` and `cron history` show, read from the scheduler's volume. */
import { createSchedule, nextSlots } from '../schedule/index.js';
import { fold, type HistoryEntry } from '../state/records.js';
import { readJournal } from '../state/journal.js';
import { readJobs } from '../state/snapshot.js';
import { targetDown } from './scheduler.js';

export interface JobRow {
  id: string;
  valid: boolean;
  declared: string;
  container: string;
  schedule?: string;
  timezone?: string;
  action?: string;
  overlap?: string;
  timeoutMs?: number;
  deadlineMs?: number;
  retries?: number;
  next: string[];
  last?: { status: string; scheduled: string | null; end?: string; exitCode?: number | null };
  running: number;
  /** Why its slots are skipped now (its container is not running), if so. */
  skipping?: string;
  field?: string;
  reason?: string;
}

const iso = (t: number | null | undefined) => (t === null || t === undefined ? null : new Date(t).toISOString());

export function listJobs(dir: string, now: number): { at: string | null; jobs: JobRow[] } {
  const { at, jobs } = readJobs(dir);
  const f = fold(readJournal(dir));
  const lastOf = new Map<string, HistoryEntry>();
  const running = new Map<string, number>();
  for (const h of f.history) {
    if (h.status === 'running') running.set(h.job, (running.get(h.job) ?? 0) + 1);
    else lastOf.set(h.job, h);
  }
  const rows = jobs.map((j): JobRow => {
    const declared = j.origin.kind === 'label' ? `label on ${j.container.name}` : `config ${j.origin.file ?? ''}`.trim();
    const base = { id: j.id, valid: j.valid, declared, container: j.container.name, running: running.get(j.id) ?? 0 };
    const l = lastOf.get(j.id);
    const last = l
      ? { last: { status: l.status, scheduled: iso(l.scheduled), ...(l.end ? { end: iso(l.end) as string } : {}), ...(l.exitCode !== undefined ? { exitCode: l.exitCode } : {}) } }
      : {};
    if (!j.valid) return { ...base, next: [], field: j.field, reason: j.reason, ...last };
    let next: string[] = [];
    try {
      next = nextSlots(createSchedule(j.schedule, j.timezone), now, 3).map((t) => iso(t) as string);
    } catch {
      /* validated when loaded */
    }
    const action =
      j.action.kind === 'exec'
        ? `exec: ${j.action.command}`
        : j.action.kind === 'dockside'
          ? `dockside ${j.action.command}`
          : `run ${j.action.image}${j.action.command ? `: ${j.action.command}` : ''}`;
    return {
      ...base,
      schedule: j.schedule,
      timezone: j.timezone,
      action,
      overlap: j.overlap,
      ...(j.timeoutMs !== undefined ? { timeoutMs: j.timeoutMs } : {}),
      ...(j.deadlineMs !== undefined ? { deadlineMs: j.deadlineMs } : {}),
      retries: j.retries,
      next,
      ...(targetDown(j) ? { skipping: targetDown(j) as string } : {}),
      ...last,
    };
  });
  return { at: at ? iso(at) : null, jobs: rows };
}

export interface HistoryRow {
  job: string;
  run?: string;
  status: string;
  trigger?: string;
  scheduled: string | null;
  start: string | null;
  end: string | null;
  exitCode?: number | null;
  attempts?: number;
  missed?: number;
  lastMissed?: string | null;
  reason?: string;
  tail?: string;
}

export function listHistory(dir: string, job: string | undefined, limit: number): HistoryRow[] {
  const f = fold(readJournal(dir));
  const rows = f.history.filter((h) => !job || h.job === job).slice(-limit);
  return rows.map((h) => ({
    job: h.job,
    ...(h.run ? { run: h.run } : {}),
    status: h.status,
    ...(h.trigger ? { trigger: h.trigger } : {}),
    scheduled: iso(h.scheduled),
    start: iso(h.start),
    end: iso(h.end),
    ...(h.exitCode !== undefined ? { exitCode: h.exitCode } : {}),
    ...(h.attempts !== undefined ? { attempts: h.attempts } : {}),
    ...(h.count !== undefined ? { missed: h.count, lastMissed: iso(h.lastSlot) } : {}),
    ...(h.reason || h.error ? { reason: h.reason ?? h.error } : {}),
    ...(h.tail ? { tail: h.tail } : {}),
  }));
}
