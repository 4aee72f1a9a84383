import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyRetention, isoWeekKey } from './retention.js';

const b = (id: string, at: string, container = 'app') => ({ id, container, startedAt: at });
const list = [
  b('a1', '2026-11-21T10:00:00Z'),
  b('a2', '2026-11-21T08:00:00Z'),
  b('a3', '2026-11-20T23:00:00Z'),
  b('a4', '2026-11-19T12:00:00Z'),
  b('a5', '2026-11-10T12:00:00Z'),
  b('a6', '2026-11-02T12:00:00Z'),
];
const kept = (policy: Parameters<typeof applyRetention>[1], l = list) =>
  applyRetention(l, policy)
    .filter((d) => d.keep)
    .map((d) => d.id)
    .sort();

test('keep-last keeps the N newest', () => {
  assert.deepEqual(kept({ keepLast: 2 }), ['a1', 'a2']);
});

test('keep-daily keeps the newest of each of the last N days', () => {
  assert.deepEqual(kept({ keepDaily: 3 }), ['a1', 'a3', 'a4']);
});

test('keep-weekly keeps the newest of each ISO week; rules combine', () => {
  assert.equal(isoWeekKey(new Date('2026-11-21T00:00:00Z')), '2026-W47');
  assert.equal(isoWeekKey(new Date('2026-01-01T00:00:00Z')), '2026-W01');
  assert.equal(isoWeekKey(new Date('2027-01-01T00:00:00Z')), '2026-W53');
  assert.deepEqual(kept({ keepWeekly: 3 }), ['a1', 'a5', 'a6']);
  assert.deepEqual(kept({ keepLast: 1, keepWeekly: 2 }), ['a1', 'a5']);
});

test('the newest backup of each container is always kept; containers are separate', () => {
  const l = [...list, b('b1', '2026-01-01T00:00:00Z', 'db')];
  const d = applyRetention(l, { keepLast: 1 });
  assert.deepEqual(
    d
      .filter((x) => x.keep)
      .map((x) => x.id)
      .sort(),
    ['a1', 'b1'],
  );
  assert.ok(d.find((x) => x.id === 'b1')?.reasons.includes('newest'));
});
