/**
 * The engine as a remote one, over each transport the README promises besides the local socket:
 * tcp with TLS (client certificates verified) and ssh (Debian's sshd, the system ssh client, `docker
 * system dial-stdio`, as the docker CLI reaches a host). Each runs the commands operators run
 * against their hosts: `ps`, `debug -- <cmd>` (a sidecar's whole life: create, attach, wait, start),
 * `backup` (a destination on the engine's host) and `metrics` (the remote path: a one-shot collector
 * on the engine). stderr carries no warning from Node or a library.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { IMAGE_TAG, cleanupRun, createVolume, docker, requireEngine, runCli, startFixture } from '../support/engine.js';
import { startSshEngine, startTlsEngine, type RemoteEngine } from '../support/remote-engines.js';

const BASE = `dockside/base:${IMAGE_TAG}`;

/** Lines of stderr that only a warning from Node or a library would print. */
function warnings(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /\bwarning\b|\(node:\d+\)|DEP\d{4}|deprecat/i.test(l));
}

const transports: Array<[string, (dir: string) => Promise<RemoteEngine>]> = [
  ['tcp with TLS', startTlsEngine],
  ['ssh', startSshEngine],
];

for (const [name, start] of transports) {
  describe(`a remote engine over ${name}`, { timeout: 240_000 }, () => {
    let dir = '';
    let remote: RemoteEngine;
    let app = '';
    let env: NodeJS.ProcessEnv = {};
    before(async () => {
      await requireEngine();
      dir = mkdtempSync(join(tmpdir(), 'ds-remote-'));
      remote = await start(join(dir, 'transport'));
      env = remote.env;
      const vol = createVolume(`remote-${name.replace(/\W+/g, '')}`);
      app = startFixture(`remote-${name.replace(/\W+/g, '')}`, ['-v', `${vol}:/data`, BASE, 'sh', '-c', 'echo remote-data > /data/file; exec sleep infinity']);
    });
    after(async () => {
      await remote?.close();
      cleanupRun();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('ps answers with the engine found through DOCKER_HOST, with no warning', async () => {
      const r = await runCli(['ps', '--json'], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(Array.isArray(JSON.parse(r.stdout)));
      assert.deepEqual(warnings(r.stderr), []);
      assert.equal(r.stderr, '');
    });

    it("debug -- <cmd> runs a sidecar in the target's namespaces and relays output and exit code", async () => {
      const r = await runCli(['debug', app, '--', 'sh', '-c', 'echo $((6*7)); hostname; exit 5'], { env });
      assert.equal(r.code, 5, r.stderr);
      const [answer, host] = r.stdout.trim().split('\n');
      assert.equal(answer, '42');
      assert.equal(host, docker('inspect', '-f', '{{.Config.Hostname}}', app), "the sidecar shares the target's UTS namespace");
      assert.deepEqual(warnings(r.stderr), []);
      assert.equal(docker('ps', '-aq', '--filter', `label=dockside.target.name=${app}`), '', 'sidecar removed');
    });

    it("backup writes a complete backup on the engine's host", async () => {
      const dest = join(dir, 'backups');
      const r = await runCli(['backup', app, '--to', dest, '--json'], { env, timeoutMs: 120_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(warnings(r.stderr), []);
      const [id] = readdirSync(dest).filter((f) => !f.startsWith('.'));
      assert.ok(id && existsSync(join(dest, id, 'manifest.json')), `a manifest in ${dest}`);
    });

    it('metrics reads the target through a collector on the engine', async () => {
      const r = await runCli(['metrics', app, '--json'], { env, timeoutMs: 60_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(warnings(r.stderr), []);
      const out = JSON.parse(r.stdout) as { source: string; containers: Array<{ name: string; pids: number }> };
      assert.equal(out.source, 'sidecar', 'a remote engine is read through the one-shot collector on it');
      const row = out.containers.find((x) => x.name === app);
      assert.ok(row, `metrics for ${app} in ${r.stdout}`);
      assert.ok(row.pids >= 1);
    });
  });
}
