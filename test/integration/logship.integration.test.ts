/**
 * `dockside logs ship` against a real engine, checked line by line against what was written:
 * the shipper killed (docker kill) at random moments during 10,000 lines/s and replaced, with every
 * line in the file sink exactly once and in order per stream; a 1 MiB line of multi-byte text with
 * characters on the 16 KiB frame boundaries, interleaved with stderr, and a longer line truncated;
 * a TTY container; a --rm container started later and picked up by label; 20 restarts of the app;
 * json-file rotation while the shipper is stopped, reported as a gap; log files in a volume (--files)
 * across rename+create and copytruncate rotation and a kill, and `logs tail`; bad input.
 */
import assert from 'node:assert/strict';
import { apiCallsFromInside } from '../support/api-calls.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RUN_ID, RUN_LABEL, cleanupRun, createVolume, docker, IMAGE_TAG, requireEngine, runCli, startFixture, waitFor, freePort } from '../support/engine.js';
import { dockerLogs, expectedSeq, firstDiff, messages, numberedLinesCmd, readShipped } from '../support/logship-fixtures.js';

const BASE = `dockside/base:${IMAGE_TAG}`;
const names: string[] = [];
let tmp = '';

function shipperName(n: string): string {
  const full = `t${RUN_ID.replace(/[^a-z0-9]/g, '')}-${n}`;
  names.push(full);
  return full;
}

function shipperIds(name: string): string[] {
  return docker('ps', '-aq', '--filter', `label=dockside.logship.name=${name}`).split('\n').filter(Boolean);
}

async function ship(args: string[]) {
  const r = await runCli(['logs', 'ship', ...args]);
  assert.equal(r.code, 0, `logs ship failed: ${r.stderr}`);
  return r;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  await requireEngine();
  tmp = mkdtempSync(join(tmpdir(), 'dockside-logship-'));
});

after(async () => {
  for (const n of names) {
    await runCli(['logs', 'stop', '--name', n, '--forget']).catch(() => undefined);
  }
  cleanupRun();
  rmSync(tmp, { recursive: true, force: true });
});

describe('logs ship', { timeout: 300_000 }, () => {
  it('survives docker kill at random moments during 10,000 lines/s: every line exactly once, in order, per stream', async () => {
    const total = 40_000;
    const app = startFixture('seq', [BASE, ...numberedLinesCmd(total, 10_000)]);
    const dir = join(tmp, 'kill');
    const name = shipperName('kill');
    await ship([app, '--to', `file://${dir}`, '--name', name]);
    let kills = 0;
    for (let k = 0; k < 3; k++) {
      await sleep(300 + Math.floor(Math.random() * 900));
      const [id] = shipperIds(name);
      // The restart policy brings it back (or the next ship replaces it); it may be restarting right now.
      if (id && spawnSync('docker', ['kill', id], { stdio: 'ignore' }).status === 0) kills++;
      if (k === 1) await ship([app, '--to', `file://${dir}`, '--name', name]);
    }
    assert.ok(kills >= 2, 'the shipper was killed at least twice');
    // Whatever happened to the last one, running the command again resumes.
    await ship([app, '--to', `file://${dir}`, '--name', name]);
    const want = expectedSeq(total);
    await waitFor(
      () => messages(readShipped(dir), app, 'stdout').length >= total && messages(readShipped(dir), app, 'stderr').length >= want.stderr.length,
      'all lines shipped',
      90_000,
      500,
    );
    await sleep(1000); // nothing more may arrive
    const got = readShipped(dir);
    const out = messages(got, app, 'stdout');
    const err = messages(got, app, 'stderr');
    assert.equal(firstDiff(out, want.stdout), 'none', 'stdout exactly once, in order');
    assert.equal(firstDiff(err, want.stderr), 'none', 'stderr exactly once, in order');
    for (const r of got.slice(0, 50)) assert.match(r.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    // Nothing was rotated away: resuming after the kills must not report a gap.
    const st = await runCli(['logs', 'status', '--name', name, '--json']);
    const status = JSON.parse(st.stdout)[0]?.status as { gaps: unknown[]; targets: Array<{ lines: number }> } | undefined;
    assert.deepEqual(status?.gaps ?? [], [], 'no false gap after kills');
  });

  it('merges 16 KiB frames of a 1 MiB multi-byte line intact, keeps stderr apart, truncates past --max-line, handles TTY and --rm containers picked up later by label', async () => {
    // 'é€𝄞' is 9 bytes, so 16 KiB frame boundaries fall inside characters.
    const js = `const u='é€𝄞';const big=u.repeat(Math.floor(1000000/9));process.stdout.write('a\\n');process.stdout.write(big.slice(0,300000));process.stderr.write('e1\\n');process.stdout.write(big.slice(300000)+'\\n');process.stderr.write('e2\\n');process.stdout.write('x'.repeat(1300000)+'\\n');process.stdout.write('z\\n');setInterval(()=>{},1e9)`;
    const label = `dstest.logship=${RUN_ID}`;
    // The local driver keeps bytes as they are; json-file stores each 16 KiB piece as a JSON string,
    // so a character cut at a piece boundary is already U+FFFD in Docker's own log (docker logs too).
    const app = startFixture('big', ['--log-driver', 'local', '--label', label, BASE, 'node', '-e', js]);
    const tty = startFixture('tty', ['-t', '--label', label, BASE, 'sh', '-c', 'for i in 1 2 3; do echo "tty $i"; done; sleep 1000']);
    const dir = join(tmp, 'big');
    const name = shipperName('big');
    await ship(['--label', label, '--to', `file://${dir}`, '--name', name]);
    const late = `dstest-${RUN_ID}-late`;
    docker('run', '--rm', '-d', '--name', late, '--label', label, '--label', `${RUN_LABEL}=${RUN_ID}`, BASE, 'sh', '-c', 'sleep 0.5; seq 1 500; sleep 1');
    await waitFor(
      () => {
        const g = readShipped(dir);
        return messages(g, app, 'stdout').length >= 4 && messages(g, tty, 'stdout').length >= 3 && messages(g, late, 'stdout').length >= 500;
      },
      'the big line, the TTY lines and the late container',
      60_000,
      300,
    );
    const g = readShipped(dir);
    const big = 'é€𝄞'.repeat(Math.floor(1000000 / 9));
    const out = g.filter((r) => r.container === app && r.stream === 'stdout');
    assert.equal(out.length, 4);
    assert.equal(out[0]?.message, 'a');
    assert.ok(out[1]?.message === big, `the 1 MiB multi-byte line arrives whole and intact (got ${out[1]?.message.length} UTF-16 units, want ${big.length})`);
    assert.equal(out[1]?.truncated, undefined);
    assert.ok(out[2]?.message === 'x'.repeat(1024 * 1024), `a 1.3 MB line is cut at --max-line (1 MiB) (got ${out[2]?.message.length})`);
    assert.equal(out[2]?.truncated, true);
    assert.equal(out[3]?.message, 'z');
    assert.deepEqual(messages(g, app, 'stderr'), ['e1', 'e2']);
    assert.deepEqual(messages(g, tty, 'stdout'), ['tty 1', 'tty 2', 'tty 3']);
    assert.deepEqual(
      messages(g, late, 'stdout'),
      Array.from({ length: 500 }, (_, i) => String(i + 1)),
    );
  });

  it('follows 20 restarts of the app (same id, same log) without loss or duplicate', async () => {
    const app = startFixture('restarts', [BASE, 'sh', '-c', 'for i in 1 2 3 4 5; do echo "run $(cat /proc/sys/kernel/random/uuid) $i"; echo "e $i" >&2; done']);
    const dir = join(tmp, 'restarts');
    const name = shipperName('restarts');
    await ship([app, '--to', `file://${dir}`, '--name', name]);
    for (let i = 0; i < 20; i++) {
      docker('start', '-a', app);
    }
    const want = dockerLogs(app);
    assert.equal(want.stdout.length, 105);
    await waitFor(
      () => messages(readShipped(dir), app, 'stdout').length >= want.stdout.length && messages(readShipped(dir), app, 'stderr').length >= want.stderr.length,
      'all runs shipped',
      60_000,
      300,
    );
    await sleep(1000);
    const g = readShipped(dir);
    assert.equal(firstDiff(messages(g, app, 'stdout'), want.stdout), 'none');
    assert.equal(firstDiff(messages(g, app, 'stderr'), want.stderr), 'none');
  });

  it('ships each line exactly once across json-file rotation while following (max-size=10k, max-file=3): the engine repeats lines there', async () => {
    // Engine 20.10's follow re-sends entries after a rotation (the time steps back, or the last
    // entry comes again with its own time); positions must tell them from new lines.
    const total = 6000;
    const app = startFixture('rot-follow', [
      '--log-opt',
      'max-size=10k',
      '--log-opt',
      'max-file=3',
      BASE,
      'sh',
      '-c',
      `while [ ! -e /tmp/go ]; do sleep 0.1; done; exec ${numberedLinesCmd(total, 1500)
        .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
        .join(' ')}`,
    ]);
    const dir = join(tmp, 'rot-follow');
    const name = shipperName('rot-follow');
    await ship([app, '--to', `file://${dir}`, '--name', name]);
    docker('exec', app, 'touch', '/tmp/go');
    const want = expectedSeq(total);
    await waitFor(() => messages(readShipped(dir), app, 'stdout').at(-1) === `seq ${total}`, 'the last line shipped', 60_000, 300);
    await sleep(1000);
    const got = readShipped(dir);
    const out = messages(got, app, 'stdout');
    const dups = got.length - new Set(got.map((r) => `${r.stream} ${r.time} ${r.message}`)).size;
    assert.equal(dups, 0, 'no line repeated');
    assert.equal(firstDiff(out, want.stdout), 'none', 'stdout exactly once, in order');
    assert.equal(firstDiff(messages(got, app, 'stderr'), want.stderr), 'none', 'stderr exactly once, in order');
  });

  it('reports json-file rotation while stopped as a gap, then ships what is left', async () => {
    const app = startFixture('rotate', [
      '--log-opt',
      'max-size=100k',
      '--log-opt',
      'max-file=2',
      BASE,
      'sh',
      '-c',
      'seq 1 1000; while [ ! -e /tmp/go ]; do sleep 0.1; done; seq 1001 100000; sleep 1000',
    ]);
    const dir = join(tmp, 'rotate');
    const name = shipperName('rotate');
    await ship([app, '--to', `file://${dir}`, '--name', name]);
    await waitFor(() => messages(readShipped(dir), app, 'stdout').length >= 1000, 'the first 1000 lines', 30_000, 200);
    const stop = await runCli(['logs', 'stop', '--name', name]);
    assert.equal(stop.code, 0, stop.stderr);
    docker('exec', app, 'touch', '/tmp/go');
    await waitFor(() => dockerLogs(app).stdout.at(-1) === '100000', 'the burst written and rotated', 30_000, 300);
    const held = dockerLogs(app).stdout;
    assert.ok(held.length < 99_000, `json-file rotated lines away (holds ${held.length})`);
    await ship([app, '--to', `file://${dir}`, '--name', name]);
    await waitFor(() => messages(readShipped(dir), app, 'stdout').at(-1) === '100000', 'the rest shipped', 60_000, 300);
    const got = messages(readShipped(dir), app, 'stdout');
    const tailStart = got.indexOf(held[0] as string);
    assert.deepEqual(
      got.slice(0, 1000),
      Array.from({ length: 1000 }, (_, i) => String(i + 1)),
    );
    assert.equal(firstDiff(got.slice(tailStart), held), 'none', 'what Docker still held arrives once, in order');
    const status = await waitFor(
      async () => {
        const r = await runCli(['logs', 'status', '--name', name, '--json']);
        const s = JSON.parse(r.stdout) as Array<{ status?: { gaps: Array<{ container: string; from: string; to: string }> } }>;
        return s[0]?.status?.gaps.length ? s[0].status : undefined;
      },
      'a gap in logs status',
      20_000,
      500,
    );
    assert.equal(status.gaps[0]?.container, app);
    assert.ok((status.gaps[0]?.from ?? '') < (status.gaps[0]?.to ?? ''));
  });

  it('ships log files from the volume (--files) across rename+create and copytruncate rotation and a kill, once each; logs tail reads them', async () => {
    const vol = createVolume('files');
    const script = [
      'while [ ! -e /logs/go ]; do sleep 0.1; done',
      'w() { i=$1; while [ $i -le $2 ]; do echo "n $i" >> /logs/app.log; i=$((i+1)); [ $((i % 50)) = 0 ] && sleep 0.05; done; }',
      'w 1 300; sleep 1; mv /logs/app.log /logs/app.log.1',
      // The copytruncate waits for the test (the restarted shipper has read 600 lines): two rotations
      // while no shipper runs would lose the first copy's lines by design (only app.log is followed).
      'w 301 600; while [ ! -e /logs/go2 ]; do sleep 0.1; done; cp /logs/app.log /logs/app.log.2; : > /logs/app.log',
      'w 601 900; printf "no newline yet" >> /logs/app.log; sleep 1000',
    ].join('\n');
    const app = startFixture('files', ['-v', `${vol}:/logs`, BASE, 'sh', '-c', script]);
    const dir = join(tmp, 'files');
    const name = shipperName('files');
    await ship([app, '--files', '/logs/app.log', '--to', `file://${dir}`, '--name', name]);
    docker('exec', app, 'touch', '/logs/go');
    const fileLines = () => messages(readShipped(dir), app, '/logs/app.log');
    await waitFor(() => fileLines().length >= 100, 'the first file lines', 20_000, 100);
    const [id] = shipperIds(name);
    if (id) spawnSync('docker', ['kill', id], { stdio: 'ignore' });
    await ship([app, '--files', '/logs/app.log', '--to', `file://${dir}`, '--name', name]);
    await waitFor(() => fileLines().length >= 600, 'the lines before the copytruncate', 60_000, 300);
    docker('exec', app, 'touch', '/logs/go2');
    await waitFor(() => fileLines().length >= 900, 'every file line', 60_000, 300);
    await sleep(1500);
    assert.equal(
      firstDiff(
        fileLines(),
        Array.from({ length: 900 }, (_, i) => `n ${i + 1}`),
      ),
      'none',
      'each line once, in order; the unfinished last line waits',
    );

    const t = await runCli(['logs', 'tail', app, '/logs/app.log.1', '-n', '2']);
    assert.equal(t.code, 0, t.stderr);
    assert.equal(t.stdout, 'n 299\nn 300\n');
    const g = await runCli(['logs', 'tail', app, '/logs/*.log*', '-n', '1']);
    assert.match(g.stdout, /==> \/logs\/app\.log <==\nno newline yet\n/);
    const none = await runCli(['logs', 'tail', app, '/nowhere/*.log']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^dockside: no file matches \/nowhere\/\*\.log/);
  });

  it("reads files only inside the container's volumes: the sidecar's own files, `..` and links out of them are no match", async () => {
    const vol = createVolume('confine');
    const app = startFixture('confine', [
      '-v',
      `${vol}:/logs`,
      BASE,
      'sh',
      '-c',
      'echo "in the volume" > /logs/app.log; ln -s /etc/passwd /logs/passwd.log; ln -s ../etc/hostname /logs/host.log; sleep 1000',
    ]);
    await waitFor(() => docker('exec', app, 'ls', '/logs').includes('host.log'), 'the fixture files', 10_000, 100);
    for (const path of ['/etc/hostname', '/logs/../etc/passwd', '/var/log/app/../../../etc/passwd']) {
      const r = await runCli(['logs', 'tail', app, path]);
      assert.equal(r.code, 2, `${path}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stdout, '', `${path} prints nothing`);
      assert.match(r.stderr, new RegExp(`^dockside: no file matches ${path.replace(/[.*?/]/g, '\\$&')} in the container's volumes\n  hint: .*/logs`), path);
    }
    for (const path of ['/logs/passwd.log', '/logs/host.log']) {
      const r = await runCli(['logs', 'tail', app, path]);
      assert.equal(r.code, 2, `a link out of the volume (${path}) is no match: ${r.stdout}`);
    }
    const g = await runCli(['logs', 'tail', app, '/logs/*.log']);
    assert.equal(g.code, 0, g.stderr);
    assert.equal(g.stdout, '==> /logs/app.log <==\nin the volume\n', 'only the file in the volume');
    const dir = join(tmp, 'confine');
    const refused = await runCli(['logs', 'ship', app, '--files', '/logs/../../../etc/passwd', '--to', `file://${dir}`, '--name', shipperName('confine')]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /^dockside: no file matches \/logs\/\.\.\/\.\.\/\.\.\/etc\/passwd in the container's volumes/);
    assert.deepEqual(shipperIds(names.at(-1) as string), [], 'no shipper started');
  });

  it('groups Java stack traces with --multiline-start java and serves /metrics on loopback with the same figures as logs status', async () => {
    const trace = [
      'Exception in thread "main" java.lang.IllegalStateException: boom',
      '\tat com.example.App.run(App.java:10)',
      '\tat com.example.App.main(App.java:5)',
      'Caused by: java.io.IOException: disk full',
      '\tat com.example.Store.write(Store.java:42)',
      '\t... 2 more',
    ];
    const js = `process.stdout.write(${JSON.stringify(['starting', ...trace, 'recovered', ''].join('\n'))});setInterval(()=>{},1e9)`;
    const app = startFixture('java', [BASE, 'node', '-e', js]);
    const dir = join(tmp, 'java');
    const name = shipperName('java');
    const port = await freePort();
    await ship([app, '--to', `file://${dir}`, '--name', name, '--multiline-start', 'java', '--metrics-port', String(port)]);
    await waitFor(() => messages(readShipped(dir), app, 'stdout').length >= 3, 'three records', 20_000, 200);
    await sleep(1500); // the quiet time after which a pending record is complete
    assert.deepEqual(messages(readShipped(dir), app, 'stdout'), ['starting', trace.join('\n'), 'recovered']);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    const text = await res.text();
    const id = docker('inspect', '--format', '{{.Id}}', app);
    assert.match(text, new RegExp(`^dockside_logship_lines_total\\{id="/docker/${id}",name="${app}"\\} 3$`, 'm'));
    assert.match(text, /^# TYPE dockside_logship_lag_seconds gauge$/m);
    const published = docker('port', shipperIds(name)[0] as string);
    assert.match(published, /^9324\/tcp -> 127\.0\.0\.1:\d+$/, 'published on loopback only');
    const st = await waitFor(
      async () => {
        const r = await runCli(['logs', 'status', '--name', name, '--json']);
        const t = (JSON.parse(r.stdout)[0]?.status?.targets ?? []) as Array<{ name: string; lines: number }>;
        return t.find((x) => x.name === app && x.lines === 3);
      },
      'logs status with the same count',
      10_000,
      300,
    );
    assert.equal(st.lines, 3);
  });

  it('reaches the engine only through its api-proxy: no socket mount, list and logs allowed, a container create refused', async () => {
    const app = startFixture('proxy', [BASE, 'node', '-e', "console.log('hello');setInterval(()=>{},1e9)"]);
    const dir = join(tmp, 'proxy');
    const name = shipperName('proxy');
    await ship([app, '--to', `file://${dir}`, '--name', name]);
    await waitFor(() => messages(readShipped(dir), app, 'stdout').length >= 1, 'the line shipped through the proxy', 20_000, 200);
    const [id] = shipperIds(name);
    const [c] = JSON.parse(docker('inspect', id as string)) as Array<{ Mounts: Array<{ Destination: string }>; Config: { Env: string[] } }>;
    assert.ok(!c?.Mounts.some((m) => m.Destination.endsWith('docker.sock')), 'no docker.sock mount in the shipper');
    assert.ok(c?.Config.Env.includes('DOCKER_HOST=unix:///run/dockside-api/docker.sock'), 'the shipper is pointed at its proxy');
    const created = `dstest-logship-escape-${Date.now().toString(36)}`;
    const out = apiCallsFromInside(id as string, [
      { method: 'GET', path: '/v1.41/containers/json' },
      { method: 'GET', path: `/v1.41/containers/${app}/logs?stdout=1&tail=1` },
      { method: 'POST', path: `/v1.41/containers/create?name=${created}`, body: JSON.stringify({ Image: BASE, Cmd: ['true'] }) },
      { method: 'POST', path: `/v1.41/containers/${app}/kill` },
    ]);
    const statuses = JSON.stringify(out.map((o) => o.status));
    const refusal = out[2]?.body;
    assert.deepEqual(JSON.parse(statuses ?? ''), [200, 200, 403, 403]);
    assert.match(refusal ?? '', /POST \/v1\.41\/containers\/create is not allowed for logship/);
    assert.equal(docker('ps', '-aq', '--filter', `name=${created}`), '', 'nothing was created');
    assert.equal(docker('inspect', '--format', '{{.State.Running}}', app), 'true', 'the app was not killed through the proxy');
  });

  it('rejects bad input with one clear line and a non-zero exit', async () => {
    const app = startFixture('bad', [BASE, 'sleep', '1000']);
    const cases: Array<[string[], RegExp]> = [
      [[app, '--to', 'ftp://x/y'], /unknown destination scheme "ftp"/],
      [[app, '--to', 'syslog+tcp://127.0.0.1:1', '--network', 'host', '--name', shipperName('unreach')], /cannot reach the syslog receiver/],
      [[app, '--to', `file://${tmp}/bad`, '--multiline-start', '(unclosed'], /not a valid regular expression/],
    ];
    for (const [args, re] of cases) {
      const r = await runCli(['logs', 'ship', ...args]);
      assert.notEqual(r.code, 0, `${args.join(' ')} must fail`);
      const lines = r.stderr
        .trim()
        .split('\n')
        .filter((l) => !/^\s*hint:/.test(l));
      assert.equal(lines.length, 1, `one line, got: ${r.stderr}`);
      assert.match(lines[0] ?? '', re);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    assert.deepEqual(shipperIds(names.at(-1) as string), [], 'the failed shipper was removed');
  });
});
