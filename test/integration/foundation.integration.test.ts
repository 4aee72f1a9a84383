/**
 * The foundation against a real engine: sidecars join a real target's volumes and network, carry
 * dockside's labels, relay exit codes, clean up after SIGINT/SIGTERM, and bad input gets one line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { IMAGE_TAG, ROOT, RUN_ID, RUN_LABEL, cleanupRun, createVolume, docker, requireEngine, runCli, spawnCli, startFixture, waitFor } from '../support/engine.js';

const BASE = `dockside/base:${IMAGE_TAG}`;
let app = '';
let volume = '';

function sidecarsOf(target: string): string[] {
  return docker('ps', '-aq', '--filter', `label=dockside.target.name=${target}`).split('\n').filter(Boolean);
}

describe('foundation: sidecars against a real target', { timeout: 240_000 }, () => {
  before(async () => {
    await requireEngine();
    volume = createVolume('data');
    docker(
      'run',
      '--rm',
      '-v',
      `${volume}:/data`,
      BASE,
      'sh',
      '-c',
      'echo "<h1>hello</h1>" > /data/index.html && mkdir -p /data/logs && echo secret > /data/private && chmod 600 /data/private && chown 1000:1000 /data/private',
    );
    app = startFixture('app', ['-v', `${volume}:/srv/data`, BASE, 'node', '-e', 'require("http").createServer((q,r)=>r.end("ok")).listen(8080)']);
    await waitFor(() => docker('exec', app, 'sh', '-c', 'cat /proc/net/tcp6 /proc/net/tcp | grep -c " 0A " || true') !== '0', 'the app to listen');
  });
  after(() => cleanupRun());

  it('probe: the backup sidecar sees the volume content, netdebug sees the interfaces and the listening port', async () => {
    const r = await runCli(['probe', app, '--role', 'backup', '--role', 'netdebug', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const [backup, net] = JSON.parse(r.stdout) as Array<{
      role: string;
      report: {
        mounts: Array<{ path: string; entries: string[] }>;
        interfaces: Array<{ name: string; addresses: string[] }>;
        listening: Array<{ port: number }>;
        processes: Array<{ command: string }>;
      };
    }>;
    assert.equal(backup?.role, 'backup');
    const data = backup?.report.mounts.find((m) => m.path === '/srv/data');
    assert.deepEqual(data?.entries, ['index.html', 'logs', 'private']);
    const ip = docker('inspect', '-f', '{{.NetworkSettings.IPAddress}}', app);
    const eth0 = net?.report.interfaces.find((i) => i.name === 'eth0');
    assert.ok(
      eth0?.addresses.some((a) => a.startsWith(`${ip}/`)),
      `netdebug sees ${JSON.stringify(eth0)}; app has ${ip}`,
    );
    assert.ok(net?.report.listening.some((l) => l.port === 8080));
    assert.ok(
      net?.report.processes.some((p) => p.command === 'node'),
      'sees the target process through --pid',
    );
    assert.deepEqual(sidecarsOf(app), [], 'probe sidecars are removed');
  });

  it('run: streams output and relays the exit code; reads a file owned by another user only with the capability', async () => {
    const r = await runCli(['run', app, '--volumes', '--', 'sh', '-c', 'cat /srv/data/index.html; echo to-stderr >&2; exit 7']);
    assert.equal(r.code, 7);
    assert.equal(r.stdout, '<h1>hello</h1>\n');
    assert.equal(r.stderr, 'to-stderr\n');
    const denied = await runCli(['run', app, '--volumes', '--', 'cat', '/srv/data/private']);
    assert.notEqual(denied.code, 0, 'all capabilities are dropped by default, so root cannot read a 0600 file of uid 1000');
    const allowed = await runCli(['run', app, '--volumes', '--cap-add', 'DAC_READ_SEARCH', '--', 'cat', '/srv/data/private']);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(allowed.stdout, 'secret\n');
  });

  it("run --env-file, from the installed command: a missing file is a dockside error (exit 2), not Node's", () => {
    // As a person runs it: the bin through the symlink npm made, so its #! line starts Node.
    const bin = join(ROOT, 'node_modules', '.bin', 'dockside');
    const dir = mkdtempSync(join(tmpdir(), 'dockside-envfile-'));
    try {
      const missing = spawnSync(bin, ['run', app, '--env-file', join(dir, 'missing.env'), '--', 'true'], { encoding: 'utf8' });
      assert.equal(missing.status, 2, missing.stderr);
      assert.equal(missing.stderr, `dockside: cannot read env file ${join(dir, 'missing.env')}: no such file\n  hint: give a file of KEY=VALUE lines (--env-file, repeatable)\n`);
      // A file that exists goes to the sidecar.
      writeFileSync(join(dir, 'app.env'), 'GREETING=hello from the file\n');
      const ok = spawnSync(bin, ['run', app, '--env-file', join(dir, 'app.env'), '--', 'sh', '-c', 'echo "$GREETING"'], { encoding: 'utf8' });
      assert.equal(ok.status, 0, ok.stderr);
      assert.equal(ok.stdout, 'hello from the file\n');
      assert.equal(ok.stderr, '');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('resolves the target by full id and by unique id prefix', async () => {
    const id = docker('inspect', '-f', '{{.Id}}', app);
    for (const ref of [id, id.slice(0, 12), id.slice(0, 6)]) {
      const r = await runCli(['run', ref, '--volumes', '--', 'cat', '/srv/data/index.html']);
      assert.equal(r.code, 0, `${ref}: ${r.stderr}`);
      assert.equal(r.stdout, '<h1>hello</h1>\n');
    }
  });

  it('images: a second build keeps every current image, and ls lists them for this version', async () => {
    const b = await runCli(['images', 'build', '--offline', '--json'], { timeoutMs: 600_000 });
    assert.equal(b.code, 0, b.stderr);
    const built = JSON.parse(b.stdout) as Array<{ role: string; status: string }>;
    assert.deepEqual(
      built.map((x) => x.role),
      ['base', 'backup', 'logship', 'netdebug', 'metrics', 'cron', 'config', 'discovery', 'fleet'],
    );
    assert.deepEqual([...new Set(built.map((x) => x.status))], ['up-to-date']);
    const ls = await runCli(['images', 'ls', '--json']);
    const images = JSON.parse(ls.stdout) as Array<{ tags: string[]; role: string; current: boolean }>;
    for (const role of ['base', 'backup', 'logship', 'netdebug', 'metrics', 'cron', 'config', 'discovery', 'fleet']) {
      assert.ok(
        images.some((i) => i.role === role && i.current && i.tags.includes(`dockside/${role}:${IMAGE_TAG}`)),
        role,
      );
    }
  });

  it('labels the sidecar, lists it in ps, and removes it after SIGINT (exit 130)', async () => {
    const child = spawnCli(['run', app, '--net', '--', 'sleep', '60']);
    const id = await waitFor(() => sidecarsOf(app)[0], 'the sidecar to start');
    const labels = JSON.parse(docker('inspect', '-f', '{{json .Config.Labels}}', id)) as Record<string, string>;
    const appId = docker('inspect', '-f', '{{.Id}}', app);
    assert.equal(labels['dockside'], 'true');
    assert.equal(labels['dockside.role'], 'run');
    assert.equal(labels['dockside.target'], appId);
    assert.equal(labels['dockside.target.name'], app);
    assert.match(labels['dockside.session'] ?? '', /^[0-9a-f]{12}$/);
    assert.ok(labels['dockside.version']);
    const hc = JSON.parse(docker('inspect', '-f', '{{json .HostConfig}}', id)) as { Privileged: boolean; CapDrop: string[]; NetworkMode: string };
    assert.equal(hc.Privileged, false);
    assert.deepEqual(hc.CapDrop, ['ALL']);
    assert.equal(hc.NetworkMode, `container:${appId}`);
    const ps = await runCli(['ps', '--json', '--target', app]);
    const listed = JSON.parse(ps.stdout) as Array<{ id: string; role: string; targetName: string }>;
    assert.ok(listed.some((c) => c.id.startsWith(id) && c.role === 'run' && c.targetName === app));

    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    child.kill('SIGINT');
    assert.equal(await exited, 130);
    await waitFor(() => sidecarsOf(app).length === 0, 'the sidecar to be gone', 15_000);
  });

  it('removes the sidecar after SIGTERM (exit 143)', async () => {
    const child = spawnCli(['run', app, '--volumes', '--', 'sleep', '60']);
    await waitFor(() => sidecarsOf(app)[0], 'the sidecar to start');
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 143);
    await waitFor(() => sidecarsOf(app).length === 0, 'the sidecar to be gone', 15_000);
  });
});

describe('foundation: bad input gets one clear line', { timeout: 120_000 }, () => {
  before(async () => {
    await requireEngine();
  });
  after(() => cleanupRun());

  const noStack = (s: string) => assert.doesNotMatch(s, /^\s+at /m, 'no stack trace');

  it('unknown container: exit 2, names the closest containers', async () => {
    const near = startFixture('nearby-name', [BASE, 'sleep', '300']);
    const r = await runCli(['probe', `${near}x`]);
    assert.equal(r.code, 2);
    const [first, hint] = r.stderr.trim().split('\n');
    assert.equal(first, `dockside: no container named "${near}x"`);
    assert.match(hint ?? '', new RegExp(`did you mean .*"${near}"`));
    noStack(r.stderr);
  });

  it('ps --target and logs status --name that match nothing: exit 2 with a hint; an existing target without sidecars: exit 0', async () => {
    const ps = await runCli(['ps', '--target', 'nosuch-target-xyz']);
    assert.equal(ps.code, 2, ps.stderr);
    assert.match(ps.stderr, /^dockside: no container named "nosuch-target-xyz"\n  hint: /);
    const logs = await runCli(['logs', 'status', '--name', 'nosuch-shipper-xyz']);
    assert.equal(logs.code, 2, logs.stderr);
    assert.match(logs.stderr, /^dockside: no log shipper named "nosuch-shipper-xyz"\n  hint: /);
    noStack(ps.stderr + logs.stderr);
    const lone = startFixture('lone', [BASE, 'sleep', '300']);
    const none = await runCli(['ps', '--target', lone]);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout.trim(), `no dockside sidecars serving ${lone}`);
  });

  it('engine unreachable: names the socket tried and what to do', async () => {
    const r = await runCli(['ps'], { env: { DOCKER_HOST: 'unix:///tmp/dockside-no-such.sock' } });
    assert.equal(r.code, 3);
    assert.match(r.stderr, /^dockside: cannot reach the Docker engine at unix:\/\/\/tmp\/dockside-no-such.sock: no such socket\n  hint: start the engine/);
    noStack(r.stderr);
  });

  it('image missing: tells the user to build the images', async () => {
    const target = startFixture('imgmissing', [BASE, 'sleep', '300']);
    const r = await runCli(['probe', target, '--role', 'backup'], { env: { DOCKSIDE_IMAGE_TAG: 'no-such-tag' } });
    assert.equal(r.code, 4);
    assert.match(r.stderr, /^dockside: image dockside\/backup:no-such-tag is not on this engine\n  hint: run `dockside images build`/);
    assert.deepEqual(sidecarsOf(target), []);
    noStack(r.stderr);
  });

  it('stopped target: refused with a remedy', async () => {
    const target = startFixture('stopped', [BASE, 'sleep', '300']);
    docker('stop', '-t', '0', target);
    const r = await runCli(['run', target, '--net', '--', 'true']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is not running \(exited\)/);
  });

  it('a name with a leading / resolves as `docker inspect /name` does, in every command that takes one', async () => {
    const target = startFixture('slash', [BASE, 'sleep', '300']);
    const runs = await Promise.all([
      runCli(['probe', `/${target}`, '--role', 'backup', '--json']),
      runCli(['run', `/${target}`, '--net', '--', 'true']),
      runCli(['debug', `/${target}`, '--', 'true']),
      runCli(['metrics', `/${target}`, '--json', '--sample', '200ms']),
      runCli(['capture', `/${target}`, '-d', '1s']),
      runCli(['rm', `/${target}`]),
    ]);
    const [probe, run, debug, metrics, capture, rm] = runs;
    for (const r of runs) noStack(r.stderr);
    for (const [what, r] of Object.entries({ probe, run, debug, metrics, capture })) assert.equal(r?.code, 0, `${what} /name: ${r?.stderr}`);
    assert.equal((JSON.parse(metrics!.stdout) as { containers: Array<{ name: string }> }).containers[0]?.name, target);
    // rm resolves it too, and refuses it as it refuses the plain name (not dockside's).
    assert.equal(rm?.code, 2);
    assert.match(rm!.stderr, /was not started by dockside; refusing to remove it/);
    const miss = await runCli(['probe', `/${target}x`]);
    assert.equal(miss.code, 2);
    assert.match(miss.stderr, new RegExp(`^dockside: no container named "/${target}x"\n  hint: did you mean .*"${target}"`));
  });

  it('a target in the wrong state is bad input (exit 2) with a remedy, in every command that joins it', async () => {
    const stopped = startFixture('state-stopped', [BASE, 'sleep', '300']);
    docker('stop', '-t', '0', stopped);
    const cases: Array<[string, string[]]> = [
      ['debug (stopped)', ['debug', stopped, '--', 'true']],
      ['probe (stopped)', ['probe', stopped, '--role', 'backup']],
      ['capture (stopped)', ['capture', stopped, '-d', '1s']],
      ['metrics (stopped)', ['metrics', stopped, '--sample', '200ms']],
      ['run --net (stopped)', ['run', stopped, '--net', '--', 'true']],
    ];
    const results = await Promise.all(cases.map(([, argv]) => runCli(argv)));
    cases.forEach(([what], i) => {
      const r = results[i]!;
      assert.equal(r.code, 2, `${what}: exit ${r.code}: ${r.stderr}`);
      assert.match(r.stderr, /^dockside: container ".*" is (not running \(exited\)|paused)[^\n]*\n  hint: \S/, `${what}: ${r.stderr}`);
      noStack(r.stderr);
    });
  });

  it('an ambiguous id prefix lists the candidates, exit 2', async () => {
    // Containers (created, not started) until two of this run's share an id's first character.
    const byFirst = new Map<string, string[]>();
    let shared: string[] | undefined;
    for (let i = 0; !shared && i < 17; i++) {
      const name = `dstest-${RUN_ID}-amb${i}`;
      const id = docker('create', '--name', name, '--label', `${RUN_LABEL}=${RUN_ID}`, BASE, 'true');
      const list = [...(byFirst.get(id[0]!) ?? []), name];
      byFirst.set(id[0]!, list);
      if (list.length === 2) shared = list;
    }
    assert.ok(shared, 'two of 17 ids share a first character');
    const prefix = docker('inspect', '-f', '{{.Id}}', shared[0]!)[0]!;
    const r = await runCli(['probe', prefix]);
    assert.equal(r.code, 2, r.stderr);
    const [first, hint, ...rest] = r.stderr.trim().split('\n');
    assert.match(first ?? '', new RegExp(`^dockside: "${prefix}" matches several containers: .*`));
    for (const name of shared) assert.ok(first!.includes(name), `${name} listed: ${first}`);
    assert.match(hint ?? '', /^  hint: give more of the id, or the container's name/);
    assert.deepEqual(rest, []);
  });

  it('rm refuses containers dockside did not start', async () => {
    const target = startFixture('not-ours', [BASE, 'sleep', '300']);
    const r = await runCli(['rm', target]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /was not started by dockside; refusing to remove it/);
    assert.equal(docker('inspect', '-f', '{{.State.Running}}', target), 'true');
  });

  it('unknown flag: one line and exit 2', async () => {
    const r = await runCli(['ps', '--bogus']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^dockside: .*bogus/);
    noStack(r.stderr);
  });

  it('unknown command: one line naming the nearest command, exit 2; `help <command>` and -h show its help', async () => {
    for (const [argv, asked, near] of [
      [['debg', 'web'], 'debg', 'dockside debug'],
      [['logs', 'shp', '--to', 'file:///tmp/x'], 'logs shp', 'dockside logs ship'],
      [['help', 'bakup'], 'bakup', 'dockside backup'],
    ] as const) {
      const r = await runCli([...argv]);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      const [first, hint, ...rest] = r.stderr.trim().split('\n');
      assert.equal(first, `dockside: unknown command "${asked}"`);
      assert.match(hint ?? '', new RegExp(`^  hint: did you mean "${near}"\\?`));
      assert.deepEqual(rest, [], r.stderr);
    }
    const reference = await runCli(['logs', 'ship', '--help']);
    assert.equal(reference.code, 0, reference.stderr);
    assert.match(reference.stdout, /^USAGE\n  \$ dockside logs ship/m);
    for (const argv of [
      ['help', 'logs', 'ship'],
      ['logs', 'ship', '-h'],
    ]) {
      const r = await runCli(argv);
      assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, reference.stdout, argv.join(' '));
    }
    const root = await runCli(['help']);
    assert.equal(root.code, 0, root.stderr);
    assert.match(root.stdout, /^COMMANDS$/m);
    // After `--`, -h belongs to the command run in the sidecar, not to dockside.
    const passed = await runCli(['run', 'no-such-container-xyz', '--', 'ls', '-h']);
    assert.equal(passed.code, 2);
    assert.match(passed.stderr, /^dockside: no container named "no-such-container-xyz"/);
  });

  it('doctor reports a ready host as JSON', async () => {
    const r = await runCli(['doctor', '--json']);
    const report = JSON.parse(r.stdout) as { ok: boolean; checks: Array<{ name: string; ok: boolean }> };
    assert.equal(r.code, 0, r.stdout);
    assert.equal(report.ok, true);
    assert.deepEqual(report.checks.map((c) => c.name).slice(0, 3), ['engine', 'api', 'cgroups']);
  });

  it('doctor without an engine fails with a remedy', async () => {
    const r = await runCli(['doctor'], { env: { DOCKER_HOST: 'tcp://127.0.0.1:1' } });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /FAIL\s+engine\s+cannot reach the Docker engine at tcp:\/\/127.0.0.1:1: connection refused/);
  });
});
