import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerMount, TargetContainer } from '@dockside/engine';
import { historyPath, mountOf } from './store.js';

const mount = (destination: string, name = destination): ContainerMount => ({ type: 'volume', name, source: `/var/lib/docker/volumes/${name}`, destination, readOnly: false });
const target = (mounts: ContainerMount[]): TargetContainer => ({
  id: 'x',
  name: 'web',
  image: 'i',
  imageId: 'sha256:i',
  running: true,
  paused: false,
  status: 'running',
  pid: 1,
  networkMode: 'bridge',
  mounts,
  labels: {},
  startedAt: '',
});

describe('mountOf', () => {
  it('finds the deepest mount holding a path, on whole path segments', () => {
    const t = target([mount('/etc/nginx', 'outer'), mount('/etc/nginx/conf.d', 'inner'), mount('/srv')]);
    assert.equal(mountOf(t, '/etc/nginx/nginx.conf')?.name, 'outer');
    assert.equal(mountOf(t, '/etc/nginx/conf.d/site.conf')?.name, 'inner');
    assert.equal(mountOf(t, '/etc/nginx-extra/x.conf'), undefined, '/etc/nginx does not hold /etc/nginx-extra');
    assert.equal(mountOf(t, '/etc/hosts.conf'), undefined);
    assert.equal(mountOf(t, '/srv/app.ini')?.name, '/srv');
  });

  it('a single-file bind mount is the mount of exactly that path', () => {
    const t = target([{ type: 'bind', name: '/host/nginx.conf', source: '/host/nginx.conf', destination: '/etc/nginx/nginx.conf', readOnly: false }]);
    assert.equal(mountOf(t, '/etc/nginx/nginx.conf')?.type, 'bind');
  });
});

describe('historyPath', () => {
  it('names a kept version <dir>/.dockside-config/<name>/<n>-<ms>-<sha256>', () => {
    const sha = 'a'.repeat(64);
    assert.equal(
      historyPath('/conf/nginx.conf', { n: 3, replacedAt: '2026-01-02T03:04:05.006Z', sha256: sha, size: 1, uid: 0, gid: 0, mode: 0o644 }),
      `/conf/.dockside-config/nginx.conf/3-${Date.parse('2026-01-02T03:04:05.006Z')}-${sha}`,
    );
  });
});
