/**
 * The host-path rule against a real engine: no sidecar gets a bind of the engine's socket, of a
 * directory holding it (/var/run, /run, a symlink to them), of / or of the kernel's trees, whichever
 * command the path comes from. Each is refused as bad input (exit 2, one line and a hint) before
 * anything is created, stopped or made on the host; /proc and /sys refuse at once (no mkdir loop).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { IMAGE_TAG, RUN_ID, cleanupRun, createVolume, requireEngine, runCli, startFixture } from '../support/engine.js';

const BASE = `dockside/base:${IMAGE_TAG}`;

describe('host paths a sidecar may not mount', { timeout: 120_000 }, () => {
  let app = '';
  let dir = '';
  before(async () => {
    await requireEngine();
    app = startFixture('hostpaths', ['-v', `${createVolume('hostpaths')}:/data`, BASE, 'sleep', '300']);
    dir = mkdtempSync(join(tmpdir(), 'dockside-hostpaths-'));
    symlinkSync('/var/run', join(dir, 'to-run'));
  });
  after(() => {
    cleanupRun();
    rmSync(dir, { recursive: true, force: true });
  });

  const refused = async (argv: string[], what: RegExp) => {
    const t0 = Date.now();
    const r = await runCli(argv, { timeoutMs: 30_000 });
    assert.equal(r.signal, null, `${argv.join(' ')} hung (killed after ${Date.now() - t0} ms)`);
    assert.equal(r.code, 2, `${argv.join(' ')}: exit ${r.code}: ${r.stderr}`);
    const [first, hint, ...rest] = r.stderr.trim().split('\n');
    assert.match(first ?? '', what, argv.join(' '));
    assert.match(hint ?? '', /^  hint: \S/);
    assert.deepEqual(rest, [], r.stderr);
    assert.equal(r.stdout, '');
  };

  it('cron start --backup-dir: the socket, what holds it (symlinks resolved), / and the kernel trees', async () => {
    const why = (p: string, reason: string) => new RegExp(`^dockside: --backup-dir ${p}: a sidecar may not mount .*${reason}`);
    await Promise.all([
      refused(['cron', 'start', '--backup-dir', '/var/run'], why('/var/run', "holds the Docker engine's socket")),
      refused(['cron', 'start', '--backup-dir', '/run'], why('/run', "holds the Docker engine's socket")),
      refused(['cron', 'start', '--backup-dir', '/var/run/docker.sock'], why('/var/run/docker.sock', "is the Docker engine's socket")),
      refused(['cron', 'start', '--backup-dir', join(dir, 'to-run')], why(join(dir, 'to-run'), "holds the Docker engine's socket")),
      refused(['cron', 'start', '--backup-dir', `${join(dir, 'ok')},/`], why('/', "root of the host's file system")),
      refused(['cron', 'start', '--backup-dir', '/proc/dockside-x'], why('/proc/dockside-x', 'lies under /proc')),
      refused(['cron', 'start', '--backup-dir', '/etc'], why('/etc', "is the host's configuration")),
    ]);
    assert.equal(existsSync(join(dir, 'ok')), false, 'nothing made on the host before the refusal');
  });

  it('backup --to, run --mount and logs ship --to file:// go by the same rule', async () => {
    await Promise.all([
      refused(['backup', app, '--to', '/var/run'], /^dockside: --to \/var\/run: a sidecar may not mount .*holds the Docker engine's socket/),
      refused(['backup', app, '--to', '/var/lib/docker/dockside-x'], /^dockside: --to \/var\/lib\/docker\/dockside-x: .*the engine's own state/),
      refused(
        ['run', app, '--mount', 'type=bind,source=/run,target=/x', '--', 'true'],
        /^dockside: the run sidecar's mount of \/run: a sidecar may not mount .*Docker engine's socket/,
      ),
      refused(['run', app, '--mount', `type=bind,source=${join(dir, 'to-run')},target=/x`, '--', 'true'], /a sidecar may not mount \/run \(where .*to-run leads\)/),
      refused(
        ['logs', 'ship', app, '--name', `dstest-${RUN_ID}`, '--to', 'file:///var/run'],
        /^dockside: --to file:\/\/\/var\/run: a sidecar may not mount .*Docker engine's socket/,
      ),
      refused(['logs', 'ship', app, '--name', `dstest-${RUN_ID}`, '--to', 'file:///proc/dockside-x'], /^dockside: --to file:\/\/\/proc\/dockside-x: .*lies under \/proc/),
      refused(['logs', 'ship', app, '--name', `dstest-${RUN_ID}`, '--to', 'file:///sys/dockside-x'], /^dockside: --to file:\/\/\/sys\/dockside-x: .*lies under \/sys/),
    ]);
  });
});
