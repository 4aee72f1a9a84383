/**
 * The scheduler loop: on every tick, for each valid job, what came due since its last handled slot
 * (planDue) is recorded in the journal before anything runs, then at most one run starts per job
 * and tick, under the job's overlap policy:
 *   forbid (default) - a slot that finds a run still going is recorded `skipped` (with the run it
 *                      waited on), never silently dropped; the job's timeout ends hung runs;
 *   allow            - runs side by side;
 *   replace          - the running one is ended (`interrupted`, "replaced": every process it started
 *                      is killed) and the new one starts once the old one is gone (never side by
 *                      side); one still waiting for that when a newer slot comes is recorded skipped.
 * Failed and timed-out attempts are retried `retries` times with backoff, within one run record.
 * The clock is injected (tests step it); so is the action runner.
 */
import { randomBytes } from 'node:crypto';
import { PassThrough, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { DEFAULT_GRACE_MS, planDue, type DuePlan } from '../schedule/index.js';
import type { Job, JobEntry } from '../jobs/model.js';
import type { ActionResult, ActionRun } from '../actions/types.js';
import type { Journal } from '../state/journal.js';
import { asSkip, type Folded, type HistoryEntry, type Trigger } from '../state/records.js';
import { backoffMs } from './backoff.js';

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export type ActionRunner = (run: ActionRun) => Promise<ActionResult>;

export interface RunHandle {
  runId: string;
  job: string;
  slot: number | null;
  /** When it was fired (it may wait for a replaced run to end before its action starts). */
  started: number;
  cancel(reason: string): void;
  done: Promise<ActionResult>;
  /** Live output (for `cron run`). */
  output: PassThrough;
}

export interface SchedulerOptions {
  clock: Clock;
  journal: Pick<Journal, 'append'>;
  state: Folded;
  runAction: ActionRunner;
  /** Told of each finished run (metrics, pings). */
  onEnd?: (job: Job, result: ActionResult, durationMs: number) => void;
  onStart?: (job: Job) => void;
  log?: (msg: string) => void;
  /** Keep this many history entries in memory per job. */
  keepHistory?: number;
  /** For tests: waits between retries. */
  sleep?: (ms: number) => Promise<void>;
}

const TAIL_CHARS = 2000;

/** Keeps the tail of a run's output as text (decoded with a StringDecoder: a character split across chunks stays whole) and passes the bytes on. */
class Tail extends Writable {
  text = '';
  private readonly decoder = new StringDecoder('utf8');
  constructor(private readonly also: PassThrough) {
    super();
  }
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void): void {
    this.text = (this.text + this.decoder.write(chunk)).slice(-TAIL_CHARS * 2);
    this.also.write(chunk);
    cb();
  }
}

export class Scheduler {
  private jobs = new Map<string, JobEntry>();
  private readonly lastHandled: Map<string, number>;
  private readonly active = new Map<string, Set<RunHandle>>();
  readonly history: HistoryEntry[];
  private lastTick = 0;
  /** Slots before this (the scheduler was not running) are caught up only within a job's deadline. */
  private readonly startedAt: number;

  constructor(private readonly opts: SchedulerOptions) {
    this.startedAt = opts.clock.now();
    this.lastHandled = new Map(opts.state.lastHandled);
    this.history = opts.state.history;
  }

  get tickedAt(): number {
    return this.lastTick;
  }

  entries(): JobEntry[] {
    return [...this.jobs.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  running(jobId?: string): RunHandle[] {
    const all = [...this.active.values()].flatMap((s) => [...s]);
    return jobId ? all.filter((r) => r.job === jobId) : all;
  }

  /** Replace the job set (after a reconcile). New jobs count their slots from now. */
  setJobs(entries: JobEntry[]): void {
    const now = this.opts.clock.now();
    const next = new Map<string, JobEntry>();
    for (const e of entries) {
      next.set(e.id, e);
      if (e.valid && !this.lastHandled.has(e.id)) {
        this.lastHandled.set(e.id, now);
        this.opts.journal.append({ t: 'seen', job: e.id, slot: now, at: now });
      }
    }
    this.jobs = next;
  }

  /** One pass: record what came due, start what should run. */
  tick(): void {
    const now = this.opts.clock.now();
    this.lastTick = now;
    for (const e of this.jobs.values()) {
      if (!e.valid) continue;
      const last = this.lastHandled.get(e.id) ?? now;
      // On time means within the grace after the slot, and the scheduler was running at the slot.
      const graceMs = Math.min(DEFAULT_GRACE_MS, Math.max(0, now - this.startedAt));
      const plan: DuePlan = planDue(e.compiled, last, now, { ...(e.deadlineMs ? { deadlineMs: e.deadlineMs } : {}), cap: 1, graceMs });
      if (plan.handledUpTo === last) continue;
      this.lastHandled.set(e.id, plan.handledUpTo);
      if (plan.missedCount > 0) {
        const first = plan.missed[0] as number;
        const lastMissed = plan.newestMissed ?? first;
        this.opts.journal.append({ t: 'missed', job: e.id, slot: first, last: lastMissed, count: plan.missedCount, at: now });
        this.remember({ job: e.id, status: 'missed', scheduled: first, lastSlot: lastMissed, count: plan.missedCount, start: now, end: now });
        this.opts.log?.(`${e.id}: ${plan.missedCount} slot(s) missed`);
      }
      if (plan.run !== undefined) {
        const trigger: Trigger = now - plan.run > DEFAULT_GRACE_MS || plan.run < this.startedAt ? 'catch-up' : 'schedule';
        this.fire(e, plan.run, trigger, false);
      }
    }
  }

  /**
   * Start a run of `job` for `slot` (null: manual) under its overlap policy. Returns the run, or a
   * reason it was skipped. `force` ignores the policy (manual runs only).
   */
  fire(job: Job, slot: number | null, trigger: Trigger, force: boolean): RunHandle | { skipped: string } {
    const now = this.opts.clock.now();
    const down = targetDown(job);
    if (down) {
      if (slot !== null) {
        this.opts.journal.append({ t: 'skip', job: job.id, slot, at: now, reason: down });
        this.remember({ job: job.id, status: 'skipped', scheduled: slot, start: now, end: now, reason: down });
      }
      return { skipped: down };
    }
    const running = [...(this.active.get(job.id) ?? [])];
    if (running.length && !force) {
      if (job.overlap === 'forbid') {
        const r = running[0] as RunHandle;
        const reason = `run ${r.runId} (started ${new Date(r.started).toISOString()}) still running; overlap=forbid`;
        if (slot !== null) {
          this.opts.journal.append({ t: 'skip', job: job.id, slot, at: now, reason });
          this.remember({ job: job.id, status: 'skipped', scheduled: slot, start: now, end: now, reason });
        }
        return { skipped: reason };
      }
      if (job.overlap === 'replace') {
        for (const r of running) r.cancel(`replaced by a newer run (overlap=replace)`);
        // The new run's action starts once every replaced run has ended (its processes gone).
        return this.start(job, slot, trigger, Promise.allSettled(running.map((r) => r.done)));
      }
    }
    return this.start(job, slot, trigger);
  }

  private start(job: Job, slot: number | null, trigger: Trigger, after?: Promise<unknown>): RunHandle {
    const runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    const fired = this.opts.clock.now();
    let entry: HistoryEntry | undefined;
    const begin = () => {
      const at = this.opts.clock.now();
      this.opts.journal.append({ t: 'start', run: runId, job: job.id, slot, trigger, at });
      entry = { job: job.id, run: runId, status: 'running', scheduled: slot, trigger, start: at };
      this.remember(entry);
      return entry;
    };
    if (!after) begin();
    let cancelWith: (reason: string) => void = () => undefined;
    const cancel = new Promise<string>((resolve) => (cancelWith = resolve));
    let cancelled: string | undefined;
    const output = new PassThrough();
    output.resume(); // nobody may listen; never let it fill
    const tail = new Tail(output);
    const done = (async (): Promise<ActionResult> => {
      if (after) {
        await after;
        if (cancelled) {
          // A newer slot replaced it while it waited: it never ran.
          const reason = `${cancelled} before it began`;
          if (slot !== null) {
            const at = this.opts.clock.now();
            this.opts.journal.append({ t: 'skip', job: job.id, slot, at, reason });
            this.remember({ job: job.id, status: 'skipped', scheduled: slot, start: at, end: at, reason });
          }
          return { status: 'skipped', exitCode: null, error: reason };
        }
        begin();
      }
      const record = entry as HistoryEntry;
      this.opts.onStart?.(job);
      let result: ActionResult = { status: 'failed', exitCode: null };
      let attempts = 0;
      for (;;) {
        attempts++;
        result = await this.opts.runAction({
          runId,
          job,
          stdout: tail,
          stderr: tail,
          cancel,
          onProc: (p) => this.opts.journal.append({ t: 'proc', run: runId, ...p }),
        });
        if (result.status === 'succeeded' || result.status === 'interrupted' || result.status === 'skipped' || cancelled || attempts > job.retries) break;
        const wait = backoffMs(attempts);
        tail.write(`attempt ${attempts} ${result.status}; retrying in ${Math.round(wait / 1000)} s\n`);
        const stop = await Promise.race([(this.opts.sleep ?? delay)(wait).then(() => false), cancel.then(() => true)]);
        if (stop) break;
      }
      if (result.status === 'skipped' && attempts > 1) result = { ...result, status: 'failed' }; // a retry of a run that did run
      if (cancelled && result.status !== 'skipped') result = { ...result, status: 'interrupted', error: result.status === 'interrupted' ? (result.error ?? cancelled) : cancelled };
      const end = this.opts.clock.now();
      const text = tail.text.slice(-TAIL_CHARS);
      this.opts.journal.append({
        t: 'end',
        run: runId,
        job: job.id,
        at: end,
        status: result.status,
        exitCode: result.exitCode,
        attempts,
        tail: text,
        ...(result.error ? { error: result.error } : {}),
      });
      if (result.status === 'skipped') asSkip(record, end, result.error ?? 'target not running');
      else Object.assign(record, { status: result.status, end, exitCode: result.exitCode, attempts, tail: text, ...(result.error ? { error: result.error } : {}) });
      return result;
    })();
    const handle: RunHandle = {
      runId,
      job: job.id,
      slot,
      started: fired,
      output,
      done,
      cancel: (reason) => {
        cancelled ??= reason;
        cancelWith(reason);
      },
    };
    const set = this.active.get(job.id) ?? new Set<RunHandle>();
    set.add(handle);
    this.active.set(job.id, set);
    void done.then(
      (result) => {
        set.delete(handle);
        output.end();
        if (entry) this.opts.onEnd?.(job, result, this.opts.clock.now() - (entry.start ?? fired)); // one that never began ran nothing
      },
      (err: unknown) => {
        set.delete(handle);
        output.end();
        this.opts.log?.(`${job.id}: run ${runId} failed unexpectedly: ${String(err)}`);
      },
    );
    return handle;
  }

  private remember(e: HistoryEntry): void {
    this.history.push(e);
    const keep = (this.opts.keepHistory ?? 200) * Math.max(1, this.jobs.size);
    if (this.history.length > keep * 2) this.history.splice(0, this.history.length - keep);
  }

  /** End every run (scheduler stopping): they are recorded `interrupted`. */
  async stopAll(reason: string): Promise<void> {
    const all = this.running();
    for (const r of all) r.cancel(reason);
    await Promise.allSettled(all.map((r) => r.done));
  }
}

/** Why a job's container cannot run it now (not running, or gone), or undefined. */
export function targetDown(job: Pick<Job, 'container'>): string | undefined {
  const state = job.container.state;
  if (state === undefined || state === 'running') return undefined;
  if (state === 'missing') return `target not running: no container named "${job.container.name}"`;
  return `target not running: container ${job.container.name} is ${state}`;
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
