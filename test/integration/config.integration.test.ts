/**
 * `dockside config` against a real engine and a real nginx (Debian's nginx-light, in an image built
 * here FROM the offline dockside base): a config nginx -t refuses leaves the file untouched; a good
 * one is served after HUP with the same container start time; one that passes nginx -t but breaks
 * /health is rolled back and the old content is served; rollback restores a kept version byte for
 * byte with its owner and mode; a file in the image layer is refused (and --in-layer copies it); a
 * FROM scratch app with no shell (busybox httpd) gets a file and a HUP; `config edit` with an
 * editor, and interrupted while the editor runs; bad input. Files are checked with independent
 * readers (a plain container with --volumes-from running sha256sum and stat), not with dockside.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { IMAGE_TAG, cleanupRun, createVolume, docker, freePort, requireEngine, runCli, spawnCli, startFixture, waitFor } from '../support/engine.js';
import { fixtureImage, sidecarsFor } from '../support/netdebug-fixtures.js';

const BASE = `dockside/base:${IMAGE_TAG}`;
let tmp = '';
let web = '';
let webPort = 0;
let webVolume = '';

const nginxConf = (body: string, health = 'return 200 "ok\\n";') => `worker_processes 1;
error_log stderr;
pid /tmp/nginx.pid;
events { worker_connections 64; }
http {
  access_log off;
  server {
    listen 8080;
    location /health { ${health} }
    location / { return 200 "${body}\\n"; }
  }
}
`;
const ONE = nginxConf('version one');
const TWO = nginxConf('version two');

function nginxImage(): string {
  return fixtureImage(
    'config-nginx',
    `ARG BASE
FROM \${BASE}
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx-light && rm -rf /var/lib/apt/lists/*
RUN mkdir -p /conf && printf 'in the layer\\n' > /etc/app-layer.conf
ENTRYPOINT ["nginx", "-c", "/conf/nginx.conf", "-g", "daemon off;"]
`,
  );
}

function shellLessImage(): string {
  return fixtureImage(
    'config-busybox-hc',
    `ARG BASE
FROM \${BASE} AS get
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends busybox-static && rm -rf /var/lib/apt/lists/*
RUN mkdir -p /out/www /out/conf && echo shell-less > /out/www/index.html && cp /bin/busybox /out/busybox
FROM scratch
COPY --from=get /out/ /
HEALTHCHECK --interval=30s CMD ["/busybox", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
ENTRYPOINT ["/busybox", "httpd", "-f", "-p", "8080", "-h", "/www", "-c", "/conf/httpd.conf"]
`,
  );
}

/** Write a file into a volume with an owner and mode, from a plain container. */
function seed(volume: string, dir: string, name: string, content: string, owner: string, mode: string): void {
  const src = join(tmp, `seed-${name}`);
  writeFileSync(src, content);
  docker(
    'run',
    '--rm',
    '-v',
    `${volume}:${dir}`,
    '-v',
    `${src}:/seed:ro`,
    BASE,
    'sh',
    '-c',
    `cp /seed ${dir}/${name} && chown ${owner} ${dir}/${name} && chmod ${mode} ${dir}/${name}`,
  );
}

/** The file as an independent reader sees it: sha256, owner, mode, and what else is in its directory. */
function fileState(container: string, path: string): { sha: string; owner: string; mode: string; dir: string[] } {
  const out = docker('run', '--rm', '--volumes-from', container, BASE, 'sh', '-c', `sha256sum ${path} | cut -d' ' -f1; stat -c '%u:%g %a' ${path}; ls -A $(dirname ${path})`).split(
    '\n',
  );
  const [owner = '', mode = ''] = (out[1] ?? '').split(' ');
  return { sha: out[0] ?? '', owner, mode, dir: out.slice(2).filter(Boolean).sort() };
}

function sha256(text: string): string {
  return spawnSync('sha256sum', { input: text, encoding: 'utf8' }).stdout.split(' ')[0] ?? '';
}

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: r.status, body: (await r.text()).trim() };
}

const startedAt = (c: string) => docker('inspect', '-f', '{{.State.StartedAt}}', c);

function local(name: string, content: string): string {
  const p = join(tmp, name);
  writeFileSync(p, content);
  return p;
}

/** A user error is one line (plus a hint line), never a stack. */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  assert.ok(lines.length <= 2 && !/\bat .+:\d+:\d+\)?$/m.test(stderr), `one error line, no stack: ${stderr}`);
  return lines[0] ?? '';
}

before(async () => {
  await requireEngine();
  tmp = mkdtempSync(join(tmpdir(), 'dockside-config-'));
  const image = nginxImage();
  webVolume = createVolume('conf');
  seed(webVolume, '/conf', 'nginx.conf', ONE, '101:102', '0640');
  webPort = await freePort();
  web = startFixture('web', [
    '-v',
    `${webVolume}:/conf`,
    '-p',
    `127.0.0.1:${webPort}:8080`,
    '--label',
    'dockside.config.nginx.path=/conf/nginx.conf',
    '--label',
    'dockside.config.nginx.validate=nginx -t -c {}',
    '--label',
    'dockside.config.nginx.reload=HUP',
    '--label',
    'dockside.config.nginx.check=http:8080/health',
    image,
  ]);
  await waitFor(async () => (await get(webPort, '/').catch(() => undefined))?.body === 'version one', 'nginx serving version one');
});

after(() => {
  cleanupRun();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('config', { timeout: 420_000 }, () => {
  it('a config nginx -t refuses (run in the app on a staged copy) leaves the file untouched, nothing staged left', async () => {
    const before = fileState(web, '/conf/nginx.conf');
    const r = await runCli(['config', 'apply', web, 'nginx', '--from', local('bad.conf', 'this is not nginx;\n'), '--yes']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /unknown directive "this" in \/conf\/\.nginx\.conf\.dockside-staged-/, 'the validator ran on the staged copy beside the file and its output is shown');
    assert.match(r.stderr, /refused the new \/conf\/nginx\.conf \(exit 1\); the file is unchanged/);
    assert.deepEqual(fileState(web, '/conf/nginx.conf'), before, 'same bytes, owner, mode; no staged copy, no history entry');
    assert.equal(before.sha, sha256(ONE));
    assert.deepEqual(sidecarsFor(web), []);
  });

  it('a good config is applied by rename and served after HUP, same container start time, owner and mode kept', async () => {
    const t0 = startedAt(web);
    const r = await runCli(['config', 'apply', web, 'nginx', '--from', local('two.conf', TWO), '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^-    location \/ \{ return 200 "version one\\n"; \}$/m, 'the unified diff is printed');
    assert.match(r.stderr, /validated by `nginx -t -c \/conf\/\.nginx\.conf\.dockside-staged-\w+`/);
    assert.match(r.stderr, /sent HUP to/);
    assert.match(r.stderr, /healthy: http:8080\/health/);
    assert.deepEqual(await get(webPort, '/'), { status: 200, body: 'version two' });
    assert.equal(startedAt(web), t0, 'reloaded, not restarted');
    const now = fileState(web, '/conf/nginx.conf');
    assert.deepEqual([now.sha, now.owner, now.mode], [sha256(TWO), '101:102', '640']);
    assert.deepEqual(now.dir, ['.dockside-config', 'nginx.conf'], 'no staged copy left beside the file');
    const d = await runCli(['config', 'diff', web, 'nginx', '--json']);
    assert.equal(d.code, 0, d.stderr);
    const diff = JSON.parse(d.stdout) as { added: number; removed: number; diff: string };
    assert.deepEqual([diff.added, diff.removed], [1, 1]);
    assert.match(diff.diff, /^\+    location \/ \{ return 200 "version two\\n"; \}$/m);
  });

  it('a config that passes nginx -t but breaks /health is rolled back, the app reloaded and serving as before (exit 1)', async () => {
    const broken = nginxConf('version three', 'return 500 "broken\\n";');
    const r = await runCli(['config', 'apply', web, 'nginx', '--from', local('broken.conf', broken), '--yes', '--deadline', '3s']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /was not healthy after HUP \(http:8080\/health: HTTP 500/);
    assert.match(r.stderr, /the previous \/conf\/nginx\.conf \(sha256 [0-9a-f]{12}\) was put back and the app reloaded \(sent HUP to .+\); it is healthy again$/m);
    assert.deepEqual(await get(webPort, '/'), { status: 200, body: 'version two' });
    assert.deepEqual(await get(webPort, '/health'), { status: 200, body: 'ok' });
    const now = fileState(web, '/conf/nginx.conf');
    assert.deepEqual([now.sha, now.owner, now.mode], [sha256(TWO), '101:102', '640']);
  });

  it('history lists the kept versions; rollback --to 1 restores it byte for byte with its own owner and mode', async () => {
    const h = await runCli(['config', 'history', web, '/conf/nginx.conf', '--json']);
    assert.equal(h.code, 0, h.stderr);
    const hist = JSON.parse(h.stdout) as { versions: Array<{ n: number; sha256: string; replacedAt: string }> };
    assert.deepEqual(
      hist.versions.map((v) => v.n),
      [1, 2, 3],
    );
    assert.equal(hist.versions[0]?.sha256, sha256(ONE));
    assert.ok(hist.versions.every((v) => !Number.isNaN(Date.parse(v.replacedAt))));
    // The current file gets another owner and mode: the rollback must bring version 1's back.
    docker('run', '--rm', '--volumes-from', web, BASE, 'sh', '-c', 'chown 0:0 /conf/nginx.conf && chmod 0644 /conf/nginx.conf');
    const r = await runCli(['config', 'rollback', web, 'nginx', '--to', '1', '--yes']);
    assert.equal(r.code, 0, r.stderr);
    const now = fileState(web, '/conf/nginx.conf');
    assert.deepEqual([now.sha, now.owner, now.mode], [sha256(ONE), '101:102', '640']);
    const bytes = docker('run', '--rm', '--volumes-from', web, BASE, 'cat', '/conf/nginx.conf');
    assert.equal(`${bytes}\n`, ONE);
    assert.deepEqual(await get(webPort, '/'), { status: 200, body: 'version one' });
  });

  it("a file in the image's layer is refused; --in-layer copies it through the engine and says it will not survive", async () => {
    const r = await runCli(['config', 'apply', web, '/etc/app-layer.conf', '--from', local('layer.conf', 'changed\n'), '--yes']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      oneLine(r.stderr),
      /^dockside: \/etc\/app-layer\.conf is in the image's layer of ".+", not in a volume or bind mount: an edit there is lost when the container is recreated$/,
    );
    assert.equal(docker('exec', web, 'cat', '/etc/app-layer.conf'), 'in the layer');
    const f = await runCli(['config', 'apply', web, '/etc/app-layer.conf', '--from', local('layer.conf', 'changed\n'), '--yes', '--in-layer', '--reload', 'none']);
    assert.equal(f.code, 0, f.stderr);
    assert.match(f.stderr, /this change is lost when ".+" is recreated/);
    assert.equal(docker('exec', web, 'cat', '/etc/app-layer.conf'), 'changed');
    assert.equal(docker('exec', web, 'sh', '-c', 'ls -A /etc | grep -c dockside-staged || true'), '0', 'the staged copy was removed');
  });

  it('an app without a shell (FROM scratch busybox httpd): a file applied and HUP sent, no validator, same start time; its HEALTHCHECK is the check when no --check is given', async () => {
    const volume = createVolume('bb');
    seed(volume, '/conf', 'httpd.conf', 'A:*\n', '0:0', '0644');
    const port = await freePort();
    const app = startFixture('bb', ['-v', `${volume}:/conf`, '-p', `127.0.0.1:${port}:8080`, shellLessImage()]);
    await waitFor(async () => (await get(port, '/').catch(() => undefined))?.status === 200, 'busybox httpd serving');
    assert.notEqual(spawnSync('docker', ['exec', app, '/bin/sh', '-c', 'true']).status, 0, 'the app has no shell');
    const t0 = startedAt(app);
    const r = await runCli(['config', 'apply', app, '/conf/httpd.conf', '--from', local('httpd.conf', 'D:*\n'), '--yes', '--reload', 'HUP', '--check', 'tcp:8080']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await get(port, '/')).status, 403, 'busybox re-read its config on HUP and now denies');
    assert.equal(startedAt(app), t0);
    assert.equal(fileState(app, '/conf/httpd.conf').sha, sha256('D:*\n'));
    // No --check: the image's HEALTHCHECK (busybox wget on /, failing on the 403 now) runs in the app, and passes once allowed again.
    const back = await runCli(['config', 'apply', app, '/conf/httpd.conf', '--from', local('httpd.conf', 'A:*\n'), '--yes', '--reload', 'HUP']);
    assert.equal(back.code, 0, back.stderr);
    assert.match(back.stderr, /^healthy: HEALTHCHECK:\/busybox wget -q -O \/dev\/null http:\/\/127\.0\.0\.1:8080\/ \(exit 0, 3 attempts/m);
    assert.equal((await get(port, '/')).status, 200);
  });

  it('config edit applies what the editor wrote; interrupted while the editor runs, nothing changes and no sidecar is left', async () => {
    const edit = join(tmp, 'edit.sh');
    writeFileSync(edit, '#!/bin/sh\nsed -i "s/version one/version edited/" "$1"\n');
    chmodSync(edit, 0o755);
    const e = await runCli(['config', 'edit', web, 'nginx', '--yes'], { env: { EDITOR: edit, VISUAL: '' } });
    assert.equal(e.code, 0, e.stderr);
    assert.deepEqual(await get(webPort, '/'), { status: 200, body: 'version edited' });

    const before = fileState(web, '/conf/nginx.conf');
    const marker = join(tmp, 'editing');
    const wait = join(tmp, 'wait.sh');
    const nap = `59.${process.pid}`; // a sleep only this editor runs, to see it stopped
    writeFileSync(wait, `#!/bin/sh\necho "$1" > ${marker}\nexec sleep ${nap}\n`);
    chmodSync(wait, 0o755);
    const child = spawnCli(['config', 'edit', web, 'nginx', '--yes'], { EDITOR: wait, VISUAL: '' });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    const copy = await waitFor(() => (existsSync(marker) ? readFileSync(marker, 'utf8').trim() : ''), 'the editor to start', 30_000);
    assert.ok(existsSync(copy), 'the editor got a local copy');
    child.kill('SIGINT');
    assert.equal(await exited, 130, stderr);
    assert.match(stderr, /interrupted by SIGINT/);
    assert.equal(existsSync(copy), false, 'the local copy is removed');
    assert.equal(spawnSync('pgrep', ['-f', `^sleep ${nap}$`]).status, 1, 'the editor was stopped');
    assert.deepEqual(fileState(web, '/conf/nginx.conf'), before, 'nothing changed, nothing staged');
    assert.deepEqual(sidecarsFor(web), [], 'no sidecar left');
  });

  it("with --reload restart, a config the app dies on (validation turned off with --validate '') is put back and the app started again (exit 1)", async () => {
    const before = fileState(web, '/conf/nginx.conf');
    const served = await get(webPort, '/');
    const r = await runCli([
      'config',
      'apply',
      web,
      'nginx',
      '--from',
      local('dies.conf', 'this is not nginx;\n'),
      '--validate',
      '',
      '--reload',
      'restart',
      '--yes',
      '--deadline',
      '5s',
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /was not healthy after restart \(http:8080\/health: .+ is exited\)/);
    assert.match(r.stderr, /was put back and the app reloaded \(restarted .+\); it is healthy again$/m);
    assert.equal(docker('inspect', '-f', '{{.State.Status}}', web), 'running');
    assert.deepEqual(await get(webPort, '/'), served);
    const now = fileState(web, '/conf/nginx.conf');
    assert.deepEqual([now.sha, now.owner, now.mode], [before.sha, before.owner, before.mode]);
  });

  it('interrupted during the health check: exit 130 saying the file was replaced and how to roll back, no sidecar left', async () => {
    const served = await get(webPort, '/');
    const child = spawnCli(['config', 'apply', web, 'nginx', '--from', local('slow.conf', nginxConf('version slow', 'return 500 "broken\\n";')), '--yes', '--deadline', '60s']);
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    await waitFor(() => /sent HUP/.test(stderr), 'the reload', 60_000);
    await new Promise((r) => setTimeout(r, 1500)); // the health check is under way
    child.kill('SIGINT');
    assert.equal(await exited, 130, stderr);
    assert.match(stderr, /^dockside: interrupted by SIGINT after \/conf\/nginx\.conf on .+ was replaced \(sent HUP to .+\), before its health was confirmed$/m);
    assert.match(stderr, /hint: the previous version is kept: dockside config rollback .+ \/conf\/nginx\.conf --to \d+$/m);
    assert.deepEqual(sidecarsFor(web), [], 'no sidecar left');
    const back = await runCli(['config', 'rollback', web, 'nginx', '--yes']);
    assert.equal(back.code, 0, back.stderr);
    assert.deepEqual(await get(webPort, '/'), served);
  });

  it('a symbolic link that leads out of the volume is never followed (a directory link, a planted history link); one inside it is', async () => {
    docker(
      'run',
      '--rm',
      '-v',
      `${webVolume}:/conf`,
      BASE,
      'sh',
      '-c',
      'mkdir -p /conf/sub /conf/h && echo inside > /conf/sub/a.conf && echo h > /conf/h/h.conf && ln -sfn ../etc /conf/up && ln -sfn /conf/sub /conf/inner && ln -sfn /tmp /conf/h/.dockside-config',
    );
    const before = fileState(web, '/conf/nginx.conf');
    const out = [
      await runCli(['config', 'show', web, '/conf/up/passwd']),
      await runCli(['config', 'apply', web, '/conf/up/hostname', '--from', local('host.txt', 'owned\n'), '--yes']),
    ];
    for (const r of out) {
      assert.equal(r.code, 2, r.stderr);
      assert.match(
        oneLine(r.stderr),
        /^dockside: \/conf\/up\/(passwd|hostname) leads out of the volume mounted at \/conf: a symbolic link among its directories points to \/etc; nothing was read or changed$/,
      );
      assert.doesNotMatch(r.stdout, /root:/);
    }
    const planted = await runCli(['config', 'apply', web, '/conf/h/h.conf', '--from', local('h2.txt', 'h2\n'), '--yes']);
    assert.equal(planted.code, 2, planted.stderr);
    assert.match(oneLine(planted.stderr), /\/conf\/h\/\.dockside-config is not a directory dockside made \(a symbolic link\); nothing was changed/);
    assert.equal(fileState(web, '/conf/h/h.conf').sha, sha256('h\n'), 'the file the planted link sat beside is untouched');
    const inside = await runCli(['config', 'show', web, '/conf/inner/a.conf']);
    assert.equal(inside.code, 0, inside.stderr);
    assert.equal(inside.stdout.trim(), 'inside');
    assert.deepEqual(fileState(web, '/conf/nginx.conf'), before);
    assert.deepEqual(sidecarsFor(web), []);
    docker('run', '--rm', '-v', `${webVolume}:/conf`, BASE, 'sh', '-c', 'rm -rf /conf/sub /conf/h /conf/up /conf/inner');
  });

  it('bad input: one line, exit 2 (no such path, path not in a volume, unknown signal, unknown name, no such container)', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['config', 'show', web, '/conf/nope.conf'], /^dockside: no such file \/conf\/nope\.conf in the container's volumes$/],
      [['config', 'show', web, '/etc/nginx/nginx.conf'], /^dockside: \/etc\/nginx\/nginx\.conf is in the image's layer of/],
      [['config', 'apply', web, 'nginx', '--from', local('x.conf', TWO), '--reload', 'BOGUS', '--yes'], /^dockside: --reload: unknown signal "BOGUS"$/],
      [['config', 'apply', web, 'nginxx', '--from', local('x.conf', TWO), '--yes'], /^dockside: "nginxx" is neither an absolute path nor a config name declared on container/],
      [['config', 'history', 'no-such-container-xyz', '/conf/a'], /^dockside: no container named "no-such-container-xyz"$/],
      [['config', 'apply', web, 'nginx', '--from', local('x.conf', TWO), '--check', 'udp:53', '--yes'], /^dockside: --check: cannot read "udp:53"$/],
    ];
    const before = fileState(web, '/conf/nginx.conf');
    for (const [args, want] of cases) {
      const r = await runCli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(oneLine(r.stderr), want);
    }
    assert.deepEqual(fileState(web, '/conf/nginx.conf'), before);
    assert.deepEqual(sidecarsFor(web), []);
  });
});
