import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBackupArgs, destinationAllowed } from '../actions/backup-args.js';
import { parseJobsYaml } from './from-config.js';
import { jobsFromLabels } from './from-labels.js';
import { splitShellWords } from '@dockside/common';

const c = (labels: Record<string, string>) => ({ id: 'abc', name: 'web', labels });

describe('jobs from labels', () => {
  it('groups dockside.cron.<job>.<option> labels into jobs named <container>/<job>', () => {
    const jobs = jobsFromLabels(
      c({
        'dockside.cron.nightly.schedule': '30 2 * * *',
        'dockside.cron.nightly.timezone': 'Europe/Berlin',
        'dockside.cron.nightly.dockside': 'backup --to /srv/backups --keep-daily 7',
        'dockside.cron.nightly.deadline': '1h',
        'dockside.cron.clean.schedule': '@hourly',
        'dockside.cron.clean.exec': 'rm -rf /tmp/cache',
        'dockside.cron.clean.timeout': '30s',
        'dockside.cron.clean.overlap': 'replace',
        'dockside.cron.clean.retries': '2',
        'other.label': 'x',
      }),
    );
    assert.deepEqual(
      jobs.map((j) => [j.id, j.valid]),
      [
        ['web/clean', true],
        ['web/nightly', true],
      ],
    );
    const [clean, nightly] = jobs;
    assert.ok(clean?.valid && nightly?.valid);
    assert.deepEqual(clean.action, { kind: 'exec', command: 'rm -rf /tmp/cache' });
    assert.equal(clean.timeoutMs, 30_000);
    assert.equal(clean.overlap, 'replace');
    assert.equal(clean.retries, 2);
    assert.equal(nightly.overlap, 'forbid');
    assert.equal(nightly.deadlineMs, 3_600_000);
    assert.equal(nightly.action.kind, 'dockside');
  });

  it('an invalid job names the option at fault; the others stay valid', () => {
    const jobs = jobsFromLabels(
      c({
        'dockside.cron.a.schedule': '61 * * * *',
        'dockside.cron.a.exec': 'true',
        'dockside.cron.b.schedule': '0 3 * * *',
        'dockside.cron.b.timezone': 'Nowhere/Land',
        'dockside.cron.b.exec': 'true',
        'dockside.cron.c.schedule': '0 3 * * *',
        'dockside.cron.c.exec': 'true',
        'dockside.cron.c.timeout': 'soon',
        'dockside.cron.d.schedule': '0 3 * * *',
        'dockside.cron.d.exec': 'true',
        'dockside.cron.d.dockside': 'backup --to /x',
        'dockside.cron.e.schedule': '0 3 * * *',
        'dockside.cron.e.dockside': 'restore --from /x',
        'dockside.cron.f.schedule': '0 3 * * *',
        'dockside.cron.f.exec': 'true',
        'dockside.cron.f.colour': 'blue',
        'dockside.cron.g.schedule': '0 3 * * *',
        'dockside.cron.g.run': 'echo hi',
        'dockside.cron.ok.schedule': '*/5 * * * *',
        'dockside.cron.ok.exec': 'true',
      }),
    );
    const field = Object.fromEntries(jobs.map((j) => [j.name, j.valid ? 'valid' : j.field]));
    assert.deepEqual(field, { a: 'schedule (minute)', b: 'timezone', c: 'timeout', d: 'dockside', e: 'dockside', f: 'colour', g: 'image', ok: 'valid' });
  });
});

describe('jobs from YAML', () => {
  it('reads <container>/<job> keys with the label options', () => {
    const jobs = parseJobsYaml('jobs:\n  db/nightly:\n    schedule: "30 2 * * *"\n    dockside: backup --to /srv/b\n    retries: 3\n', 'jobs.yaml');
    assert.deepEqual(jobs, [{ container: 'db', name: 'nightly', options: { schedule: '30 2 * * *', dockside: 'backup --to /srv/b', retries: '3' } }]);
  });
  it('refuses unknown top-level keys, bad job keys and nested values, naming the file', () => {
    assert.throws(() => parseJobsYaml('job: {}\n', 'f.yaml'), /f\.yaml: unknown key "job"/);
    assert.throws(() => parseJobsYaml('jobs:\n  nightly:\n    schedule: "* * * * *"\n', 'f.yaml'), /not <container>\/<job>/);
    assert.throws(() => parseJobsYaml('jobs:\n  a/b:\n    schedule: [1, 2]\n', 'f.yaml'), /a\/b\.schedule must be a single value/);
    assert.throws(() => parseJobsYaml('jobs: [\n', 'f.yaml'), /f\.yaml:/);
  });

  it('reports every problem of the file at once, each with its line, in one line that ends cleanly', () => {
    const yaml = 'jobs:\n  a/b:\n    schedule: x\n   exec: y\n  c/d: [1\n  e/f\n';
    const err = (() => {
      try {
        parseJobsYaml(yaml, 'f.yaml');
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    assert.match(err, /^f\.yaml: \d+ problems: line 4, column 1: All mapping items must start at the same column; line 6, column 3: /);
    assert.ok(!err.includes('\n'), err);
    assert.doesNotMatch(err, /[:;]\s*$/);
    assert.doesNotMatch(err, /:;/);
    // Problems found after parsing are all reported too.
    assert.throws(() => parseJobsYaml('jobs:\n  nightly: {}\n  a/b:\n    schedule: [1]\n    exec: {x: 1}\nextra: 1\n', 'f.yaml'), {
      message:
        'f.yaml: 4 problems: unknown key "extra" (the file holds one key, "jobs"); job key "nightly" is not <container>/<job>; a/b.schedule must be a single value; a/b.exec must be a single value',
    });
  });
});

describe('dockside backup action arguments', () => {
  it('parses the backup flags a job may use', () => {
    const a = parseBackupArgs(splitShellWords('backup --to /srv/backups --keep-daily 7 --exclude "*.log" --pause --compress=gzip'));
    assert.equal(a.destination, '/srv/backups');
    assert.equal(a.keepDaily, 7);
    assert.deepEqual(a.excludes, ['*.log']);
    assert.equal(a.pause, true);
    assert.equal(a.compression, 'gzip');
    assert.throws(() => parseBackupArgs(['backup', 'web', '--to', '/x']), /unknown option "web"/);
    assert.throws(() => parseBackupArgs(['backup']), /--to/);
  });
  it('takes a repository password file and snapshot host (repository destinations)', () => {
    const a = parseBackupArgs(splitShellWords('backup --to /srv/backups/repo --password-file /srv/backups/pw --host web-prod'));
    assert.equal(a.passwordFile, '/srv/backups/pw');
    assert.equal(a.host, 'web-prod');
    assert.equal(parseBackupArgs(splitShellWords('backup --to /srv/backups/repo')).passwordFile, undefined, "else the scheduler's own (cron start --repo-password-file)");
  });
  it('a directory destination must lie under a --backup-dir', () => {
    assert.ok(destinationAllowed('/srv/backups/web', ['/srv/backups']));
    assert.ok(destinationAllowed('/srv/backups', ['/srv/backups/']));
    assert.ok(!destinationAllowed('/srv/backups-other', ['/srv/backups']));
    assert.ok(!destinationAllowed('/etc', ['/srv/backups']));
    assert.ok(destinationAllowed('s3://bucket/prefix', []));
  });
});
