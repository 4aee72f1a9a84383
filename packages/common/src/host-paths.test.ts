import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ENGINE_SOCKETS, hostPathRefusal } from './host-paths.js';

describe('hostPathRefusal', () => {
  it('refuses the engine socket, any directory that holds it, and the path to it', () => {
    for (const p of ['/var/run/docker.sock', '/var/run', '/var/run/', '/run', '/var', '/run/containerd', '/var/run/docker']) {
      assert.match(hostPathRefusal(p) ?? '', /Docker engine's socket/, p);
    }
    // With symlinks resolved by the caller: /var/run -> /run, and a socket elsewhere.
    assert.match(hostPathRefusal('/srv/engine', ['/srv/engine/docker.sock']) ?? '', /holds the Docker engine's socket \(\/srv\/engine\/docker.sock\)/);
    assert.equal(hostPathRefusal('/srv/engine-backups', ['/srv/engine/docker.sock']), undefined, 'a sibling with a common prefix is not the path to it');
    assert.match(hostPathRefusal('/var/run/../run/./docker.sock') ?? '', /is the Docker engine's socket/, 'normalised first');
  });

  it("refuses /, the kernel's trees, /etc and the engine's state, and what lies under them", () => {
    assert.match(hostPathRefusal('/') ?? '', /root of the host's file system/);
    assert.match(hostPathRefusal('//') ?? '', /root/);
    for (const p of ['/proc', '/proc/x', '/sys', '/sys/x', '/dev', '/dev/shm', '/etc', '/etc/cron.d', '/var/lib/docker', '/var/lib/docker/volumes/v/_data']) {
      assert.ok(hostPathRefusal(p, []), `${p} accepted`);
    }
    assert.match(hostPathRefusal('/proc/x', []) ?? '', /^it lies under \/proc, the kernel's process view/);
    assert.match(hostPathRefusal('/etc', []) ?? '', /^it is the host's configuration/);
    assert.match(hostPathRefusal('backups') ?? '', /not an absolute path/);
  });

  it('accepts ordinary directories and files', () => {
    for (const p of ['/srv/backups', '/var/backups', '/var/lib/dockerish', '/tmp/x', '/home/ops/app.env', '/var/log/shipped', '/procx', '/run-data']) {
      assert.equal(hostPathRefusal(p), undefined, p);
    }
    assert.ok(ENGINE_SOCKETS.includes('/var/run/docker.sock'));
  });
});
