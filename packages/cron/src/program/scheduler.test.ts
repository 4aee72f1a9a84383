import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ActionResult, ActionRun } from '../actions/types.js';
import { jobsFromLabels } from '../jobs/from-labels.js';
import type { Job } from '../jobs/model.js';
import { fold, type JournalRecord } from '../state/records.js';
import { backoffMs } from './backoff.js';
import { Scheduler } from './scheduler.js';

function job(options: Record<string, string>): Job {
  const labels = Object.fromEntries(Object.entries(options).map(([k, v]) => [`dockside.cron.j.${k}`, v]));
  const [j] = jobsFromLabels({ id: 'cid', name: 'app', labels });
  assert.ok(j?.valid, JSON.stringify(j));
  return j;
}

/** A fake clock, an in-memory journal and actions that end when the test says so. */
function harness(start: number, records: JournalRecord[] = []) {
  let now = start;
  const journal: JournalRecord[] = [...records];
  const pending: Array<{ run: ActionRun; finish: (r: ActionResult) => void }> = [];
  const s = new Scheduler({
    clock: { now: () => now },
    journal: { append: (r) => void journal.push(r) },
    state: fold(journal),
    sleep: async () => undefined,
    runAction: (run) =>
      new Promise<ActionResult>((resolve) => {
        pending.push({ run, finish: resolve });
        void run.cancel.then((reason) => resolve({ status: 'interrupted', exitCode: null, error: reason }));
      }),
  });
  return {
    s,
    journal,
    pending,
    at: (t: number) => {
      now = t;
      s.tick();
    },
  };
}

const T0 = Date.parse('2026-06-01T10:00:00Z');
const flush = () => new Promise((r) => setImmediate(r));

describe('scheduler: overlap, journal, retries (fake clock)', () => {
  it('forbid: a slot that finds a run going is recorded skipped', async () => {
    const h = harness(T0);
    h.s.setJobs([job({ schedule: '*/10 * * * * *', exec: 'x' })]);
    h.at(T0 + 10_000);
    h.at(T0 + 20_000);
    assert.equal(h.pending.length, 1);
    assert.deepEqual(
      h.journal.filter((r) => r.t === 'skip').map((r) => (r as { slot: number }).slot),
      [T0 + 20_000],
    );
    h.pending[0]?.finish({ status: 'succeeded', exitCode: 0 });
    await flush();
    h.at(T0 + 30_000);
    assert.equal(h.pending.length, 2);
  });

  it('allow: runs side by side; replace: the running one is interrupted', async () => {
    const a = harness(T0);
    a.s.setJobs([job({ schedule: '*/10 * * * * *', exec: 'x', overlap: 'allow' })]);
    a.at(T0 + 10_000);
    a.at(T0 + 20_000);
    assert.equal(a.s.running().length, 2);
    const r = harness(T0);
    r.s.setJobs([job({ schedule: '*/10 * * * * *', exec: 'x', overlap: 'replace' })]);
    r.at(T0 + 10_000);
    r.at(T0 + 20_000);
    await flush();
    await flush();
    const ends = r.journal.filter((x) => x.t === 'end') as Array<Extract<JournalRecord, { t: 'end' }>>;
    assert.equal(ends.length, 1);
    assert.equal(ends[0]?.status, 'interrupted');
    assert.match(ends[0]?.error ?? '', /replaced/);
    assert.equal(r.s.running().length, 1);
  });

  it('replace: the new run starts only once the replaced one has ended; one still waiting when a newer slot comes is skipped', async () => {
    let now = T0;
    const journal: JournalRecord[] = [];
    const calls: Array<{ run: ActionRun; end: (r: ActionResult) => void; started: number }> = [];
    const s = new Scheduler({
      clock: { now: () => now },
      journal: { append: (r) => void journal.push(r) },
      state: fold([]),
      // An action that ignores the cancel: it ends when the test says (a process ignoring SIGTERM until killed).
      runAction: (run) => new Promise<ActionResult>((resolve) => calls.push({ run, end: resolve, started: now })),
    });
    const at = (t: number) => {
      now = t;
      s.tick();
    };
    s.setJobs([job({ schedule: '*/10 * * * * *', exec: 'x', overlap: 'replace' })]);
    at(T0 + 10_000);
    await flush();
    assert.equal(calls.length, 1);
    at(T0 + 20_000); // replaces the first, which does not end yet
    await flush();
    assert.equal(calls.length, 1, 'the replacement waits for the replaced run to end');
    assert.equal(journal.filter((r) => r.t === 'start').length, 1, 'nor is it recorded started');
    at(T0 + 30_000); // the second is still waiting: it never runs, the third waits for both
    await flush();
    assert.equal(calls.length, 1);
    now = T0 + 32_000;
    calls[0]?.end({ status: 'interrupted', exitCode: 137 });
    for (let i = 0; i < 5; i++) await flush();
    assert.equal(calls.length, 2, 'the newest run starts once the old one is gone');
    assert.equal(calls[1]?.started, T0 + 32_000);
    const starts = journal.filter((r) => r.t === 'start') as Array<Extract<JournalRecord, { t: 'start' }>>;
    assert.deepEqual(
      starts.map((r) => [r.slot, r.at]),
      [
        [T0 + 10_000, T0 + 10_000],
        [T0 + 30_000, T0 + 32_000],
      ],
    );
    const skip = journal.find((r) => r.t === 'skip') as Extract<JournalRecord, { t: 'skip' }>;
    assert.equal(skip.slot, T0 + 20_000);
    assert.match(skip.reason, /replaced by a newer run \(overlap=replace\) before it began/);
    const end = journal.find((r) => r.t === 'end') as Extract<JournalRecord, { t: 'end' }>;
    assert.equal(end.status, 'interrupted');
    assert.match(end.error ?? '', /replaced/);
  });

  it('a restart from the journal never runs a handled slot again; open runs show as such', () => {
    const h = harness(T0);
    h.s.setJobs([job({ schedule: '*/10 * * * * *', exec: 'x' })]);
    h.at(T0 + 10_000);
    // The scheduler dies here; a new one replays the journal at the same instant.
    const again = harness(T0 + 10_500, h.journal);
    const state = fold(again.journal);
    assert.equal(state.open.size, 1);
    again.s.setJobs([job({ schedule: '*/10 * * * * *', exec: 'x' })]);
    again.at(T0 + 10_500);
    assert.equal(again.pending.length, 0);
    again.at(T0 + 20_000);
    assert.equal(again.journal.filter((r) => r.t === 'start').length, 2);
  });

  it('a clock stepped back runs nothing twice; stepped forward, the skipped slots are missed', async () => {
    const h = harness(T0);
    h.s.setJobs([job({ schedule: '*/10 * * * * *', exec: 'x', overlap: 'allow' })]);
    h.at(T0 + 10_000);
    h.at(T0 - 3_600_000); // NTP steps the clock back an hour
    h.at(T0 + 5_000);
    assert.equal(h.pending.length, 1);
    h.at(T0 + 20_000);
    assert.equal(h.pending.length, 2);
    h.at(T0 + 20_000 + 3_600_000); // and forward an hour: 359 slots missed, the newest on time runs
    assert.equal(h.pending.length, 3);
    const missed = h.journal.filter((r) => r.t === 'missed') as Array<Extract<JournalRecord, { t: 'missed' }>>;
    assert.equal(missed.length, 1);
    assert.equal(missed[0]?.count, 359);
  });

  it('retries a failed run with backoff, within one run record', async () => {
    const h = harness(T0);
    h.s.setJobs([job({ schedule: '*/10 * * * * *', exec: 'x', retries: '2' })]);
    h.at(T0 + 10_000);
    for (let i = 0; i < 3; i++) {
      await flush();
      h.pending[i]?.finish({ status: 'failed', exitCode: 1 });
      await flush();
    }
    await flush();
    assert.equal(h.pending.length, 3);
    const end = h.journal.find((r) => r.t === 'end') as Extract<JournalRecord, { t: 'end' }>;
    assert.equal(end.attempts, 3);
    assert.equal(end.status, 'failed');
    assert.deepEqual(
      [1, 2, 3, 20].map((n) => backoffMs(n)),
      [2000, 4000, 8000, 300_000],
    );
  });

  it('a stopped target: its slots are recorded skipped (target not running), nothing runs, and no skipped slot is caught up once it is back', () => {
    const h = harness(T0);
    const j = job({ schedule: '*/10 * * * * *', exec: 'x' });
    h.s.setJobs([{ ...j, container: { ...j.container, state: 'exited' } }]);
    h.at(T0 + 10_000);
    h.at(T0 + 20_000);
    assert.equal(h.pending.length, 0);
    const skips = h.journal.filter((r) => r.t === 'skip') as Array<Extract<JournalRecord, { t: 'skip' }>>;
    assert.deepEqual(
      skips.map((r) => [r.slot, r.reason]),
      [
        [T0 + 10_000, 'target not running: container app is exited'],
        [T0 + 20_000, 'target not running: container app is exited'],
      ],
    );
    assert.deepEqual(
      h.s.entries().map((e) => e.id),
      ['app/j'],
      'the job stays listed',
    );
    h.s.setJobs([{ ...j, container: { ...j.container, state: 'running' } }]);
    h.at(T0 + 25_000);
    assert.equal(h.pending.length, 0, 'nothing caught up');
    h.at(T0 + 30_000);
    assert.equal(h.pending.length, 1, 'the next slot runs');
    const gone = harness(T0);
    gone.s.setJobs([{ ...j, container: { ...j.container, state: 'missing' } }]);
    gone.at(T0 + 10_000);
    assert.match((gone.journal.find((r) => r.t === 'skip') as { reason: string }).reason, /^target not running: no container named "app"$/);
  });

  it('a target that stopped before the scheduler saw it: the slot whose exec finds it not running is a skip, not a run, live and after a restart', async () => {
    const h = harness(T0);
    h.s.setJobs([job({ schedule: '*/10 * * * * *', exec: 'x' })]);
    h.at(T0 + 10_000);
    h.pending[0]?.finish({ status: 'skipped', exitCode: null, error: 'target not running: container app is not running' });
    await flush();
    await flush();
    const want = { job: 'app/j', status: 'skipped', scheduled: T0 + 10_000, start: T0 + 10_000, end: T0 + 10_000, reason: 'target not running: container app is not running' };
    const live = h.s.history.filter((e) => e.job === 'app/j');
    assert.deepEqual(
      live.map((e) => ({ job: e.job, status: e.status, scheduled: e.scheduled, start: e.start, end: e.end, reason: e.reason, run: e.run })),
      [{ ...want, run: undefined }],
    );
    const folded = fold(h.journal).history;
    assert.deepEqual(
      folded.map((e) => ({ job: e.job, status: e.status, scheduled: e.scheduled, start: e.start, end: e.end, reason: e.reason, run: e.run })),
      [{ ...want, run: undefined }],
    );
  });

  it("after a restart a slot the scheduler was down for runs only within the job's deadline", () => {
    const h = harness(T0);
    h.s.setJobs([job({ schedule: '*/10 * * * * *', exec: 'x' })]);
    h.at(T0 + 1_000);
    // Down from T0 + 1 s; back at T0 + 15 s: the slot at T0 + 10 s is 5 s old.
    const again = harness(T0 + 15_000, h.journal);
    again.s.setJobs([job({ schedule: '*/10 * * * * *', exec: 'x' })]);
    again.at(T0 + 15_000);
    assert.equal(again.pending.length, 0, 'no deadline: missed, not run');
    assert.equal(again.journal.filter((r) => r.t === 'missed').length, 1);
    const d = harness(T0);
    d.s.setJobs([job({ schedule: '*/10 * * * * *', exec: 'x', deadline: '1m' })]);
    d.at(T0 + 1_000);
    const back = harness(T0 + 15_000, d.journal);
    back.s.setJobs([job({ schedule: '*/10 * * * * *', exec: 'x', deadline: '1m' })]);
    back.at(T0 + 15_000);
    assert.equal(back.pending.length, 1, 'within the deadline: caught up once');
    assert.equal((back.journal.filter((r) => r.t === 'start').at(-1) as { trigger: string }).trigger, 'catch-up');
  });
});
