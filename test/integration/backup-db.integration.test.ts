/**
 * A data-level backup: PostgreSQL (an image built here from Debian's packages on the dockside base)
 * backed up with --dump "pg_dumpall", restored into a fresh server with --load "psql", and queried.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { IMAGE_TAG, RUN_ID, cleanupRun, createVolume, docker, requireEngine, runCli, startFixture, waitFor } from '../support/engine.js';

const PG_IMAGE = `dockside-test/postgres:${IMAGE_TAG}`;
const DOCKERFILE = `
FROM dockside/base:${IMAGE_TAG}
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null && rm -rf /var/lib/apt/lists/*
USER postgres
RUN /usr/lib/postgresql/15/bin/initdb -D /var/lib/postgresql/data --auth=trust >/dev/null
CMD ["/usr/lib/postgresql/15/bin/postgres", "-D", "/var/lib/postgresql/data", "-k", "/tmp", "-c", "listen_addresses="]
`;

function psql(container: string, sql: string): string {
  return docker('exec', container, 'psql', '-h', '/tmp', '-U', 'postgres', '-tAc', sql);
}

async function ready(container: string): Promise<void> {
  await waitFor(() => spawnSync('docker', ['exec', container, 'pg_isready', '-h', '/tmp'], { stdio: 'ignore' }).status === 0, `${container} to accept connections`, 60_000, 200);
}

describe('database backup with --dump and restore with --load', { timeout: 600_000 }, () => {
  let tmp: string;

  before(async () => {
    await requireEngine();
    tmp = mkdtempSync(join(tmpdir(), 'ds-backup-db-'));
    writeFileSync(join(tmp, 'Dockerfile'), DOCKERFILE);
    // Classic builder; cached layers make later runs fast.
    const b = spawnSync('docker', ['build', '-q', '--label', 'dockside.test-image=true', '-t', PG_IMAGE, tmp], { encoding: 'utf8', env: { ...process.env, DOCKER_BUILDKIT: '0' } });
    assert.equal(b.status, 0, `building ${PG_IMAGE}: ${b.stderr}`);
  });

  after(() => {
    cleanupRun();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('pg_dumpall into the backup, psql out of it into a fresh server', async () => {
    const dataVol = createVolume('pg');
    const db = startFixture('pg', ['--init', '-v', `${dataVol}:/var/lib/postgresql/data`, PG_IMAGE]);
    await ready(db);
    psql(db, "CREATE TABLE t (id int primary key, v text); INSERT INTO t SELECT g, 'row ' || g FROM generate_series(1, 5000) g;");
    psql(db, 'CREATE DATABASE shop');
    docker('exec', db, 'psql', '-h', '/tmp', '-U', 'postgres', '-d', 'shop', '-c', 'CREATE TABLE orders (n int); INSERT INTO orders VALUES (42);');

    const dir = join(tmp, 'backups');
    const b = await runCli(['backup', db, '--to', dir, '--dump', 'pg_dumpall -h /tmp -U postgres', '--dump-as', 'all.sql', '--json']);
    assert.equal(b.code, 0, b.stderr);
    const m = JSON.parse(b.stdout);
    assert.deepEqual(m.archives.map((a: { kind: string }) => a.kind).sort(), ['dump', 'volume']);
    const dump = m.archives.find((a: { kind: string }) => a.kind === 'dump');
    assert.equal(dump.file, 'dump-all.sql.zst');
    assert.ok(dump.rawBytes > 50_000, 'the dump holds the rows');
    assert.equal(m.consistency.dump, 'pg_dumpall -h /tmp -U postgres');
    const v = await runCli(['backup', 'verify', '--from', dir, '--id', m.id]);
    assert.equal(v.code, 0, v.stderr + v.stdout);

    // A fresh server with its own empty cluster.
    const fresh = startFixture('pg2', ['--init', '-v', `${createVolume('pg2')}:/var/lib/postgresql/data`, PG_IMAGE]);
    await ready(fresh);
    assert.equal(psql(fresh, "SELECT count(*) FROM pg_tables WHERE tablename = 't'"), '0');
    const r = await runCli(['restore', fresh, '--from', dir, '--id', m.id, '--load', 'psql -h /tmp -U postgres -q -f - -o /dev/null', '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(psql(fresh, 'SELECT count(*), sum(id) FROM t'), `5000|${(5000 * 5001) / 2}`);
    assert.equal(psql(fresh, 'SELECT v FROM t WHERE id = 4321'), 'row 4321');
    assert.equal(docker('exec', fresh, 'psql', '-h', '/tmp', '-U', 'postgres', '-d', 'shop', '-tAc', 'SELECT n FROM orders'), '42');

    // A failing dump fails the backup and leaves nothing listed.
    const bad = await runCli(['backup', db, '--to', dir, '--dump', 'pg_dumpall -h /tmp -U nosuchuser', '--dump-as', 'x.sql', '--dump-only']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--dump command failed .*exit code/);
    const ls = JSON.parse((await runCli(['backup', 'ls', '--from', dir, '--json'])).stdout).backups;
    assert.deepEqual(
      ls.map((x: { id: string }) => x.id),
      [m.id],
    );
    assert.ok(!RUN_ID.includes('/'));
  });
});
