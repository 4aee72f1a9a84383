/**
 * The scheduler's journal records (one JSON object per line, append-only, fsync'd per record) and
 * what they fold into: each job's last handled slot, the history, and the runs still open (a run
 * that has a `start` but no `end` was running when the scheduler died: it is `interrupted`).
 * A slot is "handled" once a start, skip or missed record names it: it is never run again.
 */
export type RunStatus = 'succeeded' | 'failed' | 'timeout' | 'skipped' | 'missed' | 'interrupted';
export type Trigger = 'schedule' | 'catch-up' | 'manual';

export type JournalRecord =
  /** A job seen for the first time: its slots count from here (no catch-up for a new job). */
  | { t: 'seen'; job: string; slot: number; at: number }
  | { t: 'start'; run: string; job: string; slot: number | null; trigger: Trigger; at: number }
  /** What to clean up if the scheduler dies: the exec (with its pid in the container) or the container. */
  | { t: 'proc'; run: string; container?: string; execId?: string; pid?: number; tag?: string; runContainer?: string }
  /** status `skipped`: the run found its target not running and ran nothing: it folds into a skip (no run id, `error` is the reason). */
  | { t: 'end'; run: string; job: string; at: number; status: Exclude<RunStatus, 'missed'>; exitCode: number | null; attempts: number; tail: string; error?: string }
  | { t: 'skip'; job: string; slot: number; at: number; reason: string }
  | { t: 'missed'; job: string; slot: number; last: number; count: number; at: number };

export interface HistoryEntry {
  job: string;
  run?: string;
  status: RunStatus | 'running';
  /** The slot (ms) it was for; null for a manual run. */
  scheduled: number | null;
  trigger?: Trigger;
  start?: number;
  end?: number;
  exitCode?: number | null;
  attempts?: number;
  tail?: string;
  error?: string;
  reason?: string;
  /** For `missed`: how many slots, and the newest of them. */
  count?: number;
  lastSlot?: number;
}

export interface OpenRun {
  run: string;
  job: string;
  slot: number | null;
  at: number;
  container?: string;
  execId?: string;
  pid?: number;
  /** The exec job's process tag (engine EXEC_JOB_TAG). */
  tag?: string;
  runContainer?: string;
}

export interface Folded {
  lastHandled: Map<string, number>;
  history: HistoryEntry[];
  open: Map<string, OpenRun>;
}

/** A run that ran nothing becomes the skip it really was: no run id, no trigger, the reason. */
export function asSkip(e: HistoryEntry, at: number, reason: string): void {
  delete e.run;
  delete e.trigger;
  Object.assign(e, { status: 'skipped', end: at, reason });
}

export function fold(records: Iterable<JournalRecord>): Folded {
  const lastHandled = new Map<string, number>();
  const history: HistoryEntry[] = [];
  const byRun = new Map<string, HistoryEntry>();
  const open = new Map<string, OpenRun>();
  const handled = (job: string, slot: number | null) => {
    if (slot === null) return;
    if (slot > (lastHandled.get(job) ?? -Infinity)) lastHandled.set(job, slot);
  };
  for (const r of records) {
    switch (r.t) {
      case 'seen':
        handled(r.job, r.slot);
        break;
      case 'start': {
        handled(r.job, r.slot);
        const e: HistoryEntry = { job: r.job, run: r.run, status: 'running', scheduled: r.slot, trigger: r.trigger, start: r.at };
        history.push(e);
        byRun.set(r.run, e);
        open.set(r.run, { run: r.run, job: r.job, slot: r.slot, at: r.at });
        break;
      }
      case 'proc': {
        const o = open.get(r.run);
        if (o)
          Object.assign(o, {
            ...(r.container ? { container: r.container } : {}),
            ...(r.execId ? { execId: r.execId } : {}),
            ...(r.pid ? { pid: r.pid } : {}),
            ...(r.tag ? { tag: r.tag } : {}),
            ...(r.runContainer ? { runContainer: r.runContainer } : {}),
          });
        break;
      }
      case 'end': {
        const e = byRun.get(r.run);
        if (e && r.status === 'skipped') asSkip(e, r.at, r.error ?? 'target not running');
        else if (e) Object.assign(e, { status: r.status, end: r.at, exitCode: r.exitCode, attempts: r.attempts, tail: r.tail, ...(r.error ? { error: r.error } : {}) });
        open.delete(r.run);
        break;
      }
      case 'skip':
        handled(r.job, r.slot);
        history.push({ job: r.job, status: 'skipped', scheduled: r.slot, start: r.at, end: r.at, reason: r.reason });
        break;
      case 'missed':
        handled(r.job, r.last);
        history.push({ job: r.job, status: 'missed', scheduled: r.slot, lastSlot: r.last, count: r.count, start: r.at, end: r.at });
        break;
    }
  }
  return { lastHandled, history, open };
}

/** Records that rebuild the same state with at most `keep` history entries per job (compaction). */
export function compact(f: Folded, keep: number): JournalRecord[] {
  const out: JournalRecord[] = [];
  for (const [job, slot] of f.lastHandled) out.push({ t: 'seen', job, slot, at: 0 });
  const perJob = new Map<string, number>();
  const kept: HistoryEntry[] = [];
  for (let i = f.history.length - 1; i >= 0; i--) {
    const e = f.history[i] as HistoryEntry;
    const n = perJob.get(e.job) ?? 0;
    if (n >= keep && e.status !== 'running') continue;
    perJob.set(e.job, n + 1);
    kept.push(e);
  }
  kept.reverse();
  for (const e of kept) {
    if (e.status === 'skipped') out.push({ t: 'skip', job: e.job, slot: e.scheduled as number, at: e.start ?? 0, reason: e.reason ?? '' });
    else if (e.status === 'missed')
      out.push({ t: 'missed', job: e.job, slot: e.scheduled as number, last: e.lastSlot ?? (e.scheduled as number), count: e.count ?? 1, at: e.start ?? 0 });
    else if (e.run) {
      out.push({ t: 'start', run: e.run, job: e.job, slot: e.scheduled, trigger: e.trigger ?? 'schedule', at: e.start ?? 0 });
      const o = f.open.get(e.run);
      if (o)
        out.push({
          t: 'proc',
          run: e.run,
          ...(o.container ? { container: o.container } : {}),
          ...(o.execId ? { execId: o.execId } : {}),
          ...(o.pid ? { pid: o.pid } : {}),
          ...(o.tag ? { tag: o.tag } : {}),
          ...(o.runContainer ? { runContainer: o.runContainer } : {}),
        });
      if (e.status !== 'running') {
        out.push({
          t: 'end',
          run: e.run,
          job: e.job,
          at: e.end ?? 0,
          status: e.status as 'succeeded',
          exitCode: e.exitCode ?? null,
          attempts: e.attempts ?? 1,
          tail: e.tail ?? '',
          ...(e.error ? { error: e.error } : {}),
        });
      }
    }
  }
  return out;
}
