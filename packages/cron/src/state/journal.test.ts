import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { JOURNAL_FILE, Journal } from './journal.js';
import { compact, fold } from './records.js';

describe('journal', () => {
  it('survives a torn last line (a kill mid-write) and folds handled slots, history and open runs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cron-journal-'));
    try {
      const { journal } = Journal.open(dir);
      journal.append({ t: 'seen', job: 'a/x', slot: 1000, at: 1000 });
      journal.append({ t: 'start', run: 'r1', job: 'a/x', slot: 2000, trigger: 'schedule', at: 2001 });
      journal.append({ t: 'end', run: 'r1', job: 'a/x', at: 2500, status: 'succeeded', exitCode: 0, attempts: 1, tail: 'ok' });
      journal.append({ t: 'start', run: 'r2', job: 'a/x', slot: 3000, trigger: 'schedule', at: 3001 });
      journal.append({ t: 'proc', run: 'r2', container: 'c', execId: 'e', pid: 7 });
      journal.close();
      appendFileSync(join(dir, JOURNAL_FILE), '{"t":"end","run":"r2","jo');
      const { state } = Journal.open(dir);
      assert.equal(state.lastHandled.get('a/x'), 3000);
      assert.deepEqual(
        state.history.map((h) => h.status),
        ['succeeded', 'running'],
      );
      assert.deepEqual(state.open.get('r2'), { run: 'r2', job: 'a/x', slot: 3000, at: 3001, container: 'c', execId: 'e', pid: 7 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('compaction keeps the last handled slot, the newest entries per job and open runs', () => {
    const recs = [];
    for (let i = 0; i < 50; i++) {
      recs.push({ t: 'start' as const, run: `r${i}`, job: 'a/x', slot: i * 1000, trigger: 'schedule' as const, at: i * 1000 });
      if (i < 49) recs.push({ t: 'end' as const, run: `r${i}`, job: 'a/x', at: i * 1000 + 5, status: 'failed' as const, exitCode: 1, attempts: 1, tail: '' });
    }
    recs.push({ t: 'missed' as const, job: 'b/y', slot: 5, last: 90_000, count: 90, at: 91_000 });
    const f = fold(recs);
    const again = fold(compact(f, 10));
    assert.equal(again.lastHandled.get('a/x'), 49_000);
    assert.equal(again.lastHandled.get('b/y'), 90_000);
    assert.equal(again.history.filter((h) => h.job === 'a/x').length, 10);
    assert.ok(again.open.has('r49'));
    assert.equal(again.history.find((h) => h.job === 'b/y')?.count, 90);
  });
});
