import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeChores, encodeChores, withChore, type Chore } from './chores.js';
import { planNode, type LocalSidecar, type LocalTask } from './plan.js';

const chore = (id: string, services: string[]): Chore => ({ id, kind: 'logs', services, to: 'file:///tmp/x', maxLine: 1024 * 1024 });
const task = (t: string, service: string, running = true, finishedAt?: number): LocalTask => ({
  task: t,
  service,
  containerId: `c-${t}`,
  running,
  ...(finishedAt !== undefined ? { finishedAt } : {}),
});
const car = (id: string, c: string, t: string, created = 1): LocalSidecar => ({ id, chore: c, task: t, created });

describe('planNode', () => {
  it("starts one sidecar per running task of a chore's services, and none for other services", () => {
    const p = planNode([chore('a', ['web'])], [task('t1', 'web'), task('t2', 'web'), task('t3', 'db')], [], 0);
    assert.deepEqual(
      p.start.map((s) => s.task.task),
      ['t1', 't2'],
    );
    assert.equal(p.remove.length, 0);
  });

  it('keeps a sidecar that already serves its task, and adds none', () => {
    const p = planNode([chore('a', ['web'])], [task('t1', 'web')], [car('s1', 'a', 't1')], 0);
    assert.equal(p.start.length, 0);
    assert.equal(p.remove.length, 0);
  });

  it('removes a sidecar whose task is gone, whose chore was dropped, or whose task stopped longer than the grace ago', () => {
    const now = 100_000;
    const p = planNode(
      [chore('a', ['web'])],
      [task('t2', 'web', false, now - 6000), task('t3', 'web', false, now - 1000)],
      [car('gone', 'a', 't1'), car('stopped', 'a', 't2'), car('fresh', 'a', 't3'), car('dropped', 'b', 't3')],
      now,
      5000,
    );
    assert.deepEqual(p.remove.map((r) => r.sidecar.id).sort(), ['dropped', 'gone', 'stopped']);
    assert.equal(p.start.length, 0, 'a stopped task gets no new sidecar');
  });

  it('keeps the older of two sidecars for one chore and task', () => {
    const p = planNode([chore('a', ['web'])], [task('t1', 'web')], [car('new', 'a', 't1', 5), car('old', 'a', 't1', 2)], 0);
    assert.deepEqual(
      p.remove.map((r) => r.sidecar.id),
      ['new'],
    );
    assert.equal(p.start.length, 0);
  });

  it('gives a task one sidecar per chore that names its service', () => {
    const p = planNode([chore('a', ['web']), chore('b', ['web', 'db'])], [task('t1', 'web')], [car('s', 'a', 't1')], 0);
    assert.deepEqual(
      p.start.map((s) => `${s.chore.id}/${s.task.task}`),
      ['b/t1'],
    );
  });
});

describe('chores', () => {
  it('round-trips and replaces by id', () => {
    const list = withChore([chore('a', ['web'])], chore('a', ['db']));
    assert.deepEqual(decodeChores(encodeChores(list)), list);
    assert.deepEqual(decodeChores(undefined), []);
  });

  it('refuses malformed lists with a message naming what is wrong', () => {
    assert.throws(() => decodeChores('{'), /not JSON/);
    assert.throws(() => decodeChores('{}'), /JSON list/);
    assert.throws(() => decodeChores(JSON.stringify([{ ...chore('a', ['w']), extra: 1 }])), /unknown keys: extra/);
    assert.throws(() => decodeChores(JSON.stringify([{ ...chore('a', ['w']), kind: 'backup' }])), /kind must be "logs"/);
    assert.throws(() => decodeChores(JSON.stringify([chore('a', [])])), /services/);
    assert.throws(() => decodeChores(JSON.stringify([chore('A B', ['w'])])), /chore name/);
    assert.throws(() => decodeChores(JSON.stringify([chore('a', ['w']), chore('a', ['v'])])), /twice/);
  });
});
