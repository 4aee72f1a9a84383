import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collectJobs, type KnownContainer } from './collect.js';

const web = (state: string, labels: Record<string, string> = {}): KnownContainer => ({ id: 'w1', name: 'web', state, labels: { 'dockside.cron.nightly.schedule': '@daily', 'dockside.cron.nightly.exec': 'true', ...labels } });
const config = (container: string) => ({ file: 'jobs.yaml', jobs: [{ container, name: 'nightly', options: { schedule: '@hourly', exec: 'date' } }] });

describe('collecting jobs from labels and the YAML file', () => {
  it('refuses one id declared by labels and in the file, on both sides, naming both sources', () => {
    const e = collectJobs([web('running')], config('web'), { ownLabel: 'dockside.role' });
    assert.equal(e.length, 2);
    for (const x of e) {
      assert.equal(x.valid, false);
      assert.equal(x.valid === false && x.field, 'id');
      assert.equal(x.valid === false && x.reason, 'declared twice: by labels on container web and in jobs.yaml; remove or rename one');
    }
  });

  it('keeps the jobs of a stopped container, with its state; a YAML job is bound to its container by name', () => {
    const [l] = collectJobs([web('exited')], undefined, { ownLabel: 'dockside.role' });
    assert.deepEqual(l?.valid && l.container, { id: 'w1', name: 'web', state: 'exited' });
    const other: KnownContainer = { id: 'd1', name: 'db', state: 'running', labels: {} };
    const [y] = collectJobs([other], config('db'), { ownLabel: 'dockside.role' });
    assert.deepEqual(y?.valid && y.container, { id: 'd1', name: 'db', state: 'running' });
  });

  it('a YAML job on a container that does not exist: invalid for validate, waiting (missing) for the scheduler', () => {
    const [v] = collectJobs([], config('nope'), { ownLabel: 'dockside.role', requireContainers: true });
    assert.equal(v?.valid, false);
    assert.equal(v?.valid === false && `${v.field}: ${v.reason}`, 'container: no container named "nope" on this engine');
    const [s] = collectJobs([], config('nope'), { ownLabel: 'dockside.role' });
    assert.equal(s?.valid && s.container.state, 'missing');
  });

  it("skips dockside's own containers", () => {
    assert.deepEqual(collectJobs([web('running', { 'dockside.role': 'cron' })], undefined, { ownLabel: 'dockside.role' }), []);
  });
});
