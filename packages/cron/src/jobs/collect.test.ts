import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collectJobs, type KnownContainer } from './collect.js';

const web = (state: string, labels: Record<string, string> = {}): KnownContainer => ({
  id: 'w1',
  name: 'web',
  state,
  labels: { 'dockside.cron.nightly.schedule': '@daily', 'dockside.cron.nightly.exec': 'true', ...labels },
});
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

  it('label jobs belong to the scheduler their .scheduler option names (default "default"), and only to it', () => {
    const c: KnownContainer = {
      id: 'w1',
      name: 'web',
      state: 'running',
      labels: {
        'dockside.cron.a.schedule': '@daily',
        'dockside.cron.a.exec': 'true',
        'dockside.cron.b.schedule': '@daily',
        'dockside.cron.b.exec': 'true',
        'dockside.cron.b.scheduler': 'ops',
        'dockside.cron.c.schedule': 'nonsense',
        'dockside.cron.c.exec': 'true',
        'dockside.cron.c.scheduler': 'ops',
      },
    };
    const ids = (scheduler?: string) => collectJobs([c], undefined, { ownLabel: 'dockside.role', ...(scheduler ? { scheduler } : {}) }).map((e) => `${e.id}:${e.valid}`);
    assert.deepEqual(ids(), ['web/a:true']);
    assert.deepEqual(ids('default'), ['web/a:true']);
    assert.deepEqual(ids('ops'), ['web/b:true', 'web/c:false']);
    assert.deepEqual(ids('other'), []);
    // The clash rule sees this scheduler's label jobs only: ops's web/b is no clash for default's file.
    const file = { file: 'jobs.yaml', jobs: [{ container: 'web', name: 'b', options: { schedule: '@hourly', exec: 'date' } }] };
    assert.deepEqual(
      collectJobs([c], file, { ownLabel: 'dockside.role' }).map((e) => `${e.id}:${e.valid}`),
      ['web/a:true', 'web/b:true'],
    );
  });
});
