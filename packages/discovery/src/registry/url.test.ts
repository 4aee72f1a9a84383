import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCheck, parseListen } from '../config.js';
import { prefixEnd } from './etcd.js';
import { hostsFileText, parseHostsFile } from './dns.js';
import { isStale } from './registry.js';
import { displayRegistry, parseRegistryUrl } from './url.js';

describe('registry URLs, checks, listen addresses', () => {
  it('parses the three registries, with defaults', () => {
    assert.deepEqual(parseRegistryUrl('etcd://etcd:2379/apps/prod'), { kind: 'etcd', host: 'etcd', port: 2379, prefix: '/apps/prod' });
    assert.deepEqual(parseRegistryUrl('etcd://10.0.0.5'), { kind: 'etcd', host: '10.0.0.5', port: 2379, prefix: '/dockside/services' });
    assert.deepEqual(parseRegistryUrl('dns:/etc/dnsmasq.hosts.d/'), { kind: 'dns', dir: '/etc/dnsmasq.hosts.d' });
    assert.deepEqual(parseRegistryUrl('dns:///srv/hosts'), { kind: 'dns', dir: '/srv/hosts' });
    assert.deepEqual(parseRegistryUrl('consul://consul'), { kind: 'consul', host: 'consul', port: 8500 });
    assert.equal(displayRegistry(parseRegistryUrl('etcd://[::1]:2379')), 'etcd://[::1]:2379/dockside/services');
  });
  it('refuses what it cannot use, in one line', () => {
    assert.throws(() => parseRegistryUrl('zookeeper://zk:2181'), /unknown registry scheme "zookeeper:"/);
    assert.throws(() => parseRegistryUrl('dns:relative/dir'), /absolute directory/);
    assert.throws(() => parseRegistryUrl('etcd://u:p@etcd:2379'), /credentials/);
    assert.throws(() => parseRegistryUrl('consul://c:8500/x'), /takes no path/);
    assert.throws(() => parseRegistryUrl('not a url'), /not a registry URL/);
  });
  it('checks and listen addresses', () => {
    assert.deepEqual(parseCheck('http:/healthz'), { kind: 'http', path: '/healthz' });
    assert.deepEqual(parseCheck('tcp'), { kind: 'tcp' });
    assert.deepEqual(parseCheck('exec:pg_isready -h 127.0.0.1'), { kind: 'exec', command: 'pg_isready -h 127.0.0.1' });
    assert.throws(() => parseCheck('grpc'), /--check must be/);
    assert.deepEqual(parseListen('5432'), { host: '127.0.0.1', port: 5432 });
    assert.deepEqual(parseListen('[::1]:80'), { host: '::1', port: 80 });
    assert.throws(() => parseListen('0.0.0.0:80'), /loopback only/);
    assert.throws(() => parseListen('70000'), /--listen must be/);
  });
  it('etcd prefix range end, dns hosts files, the stale rule', () => {
    assert.equal(Buffer.from(prefixEnd('/a/web/'), 'base64').toString(), '/a/web0');
    const inst = {
      service: 'web',
      id: 'vm-abc-80',
      address: '172.18.0.2',
      port: 80,
      tags: [],
      host: 'vm',
      container: 'c'.repeat(64),
      containerName: 'w',
      registeredAt: '2026-12-01T00:00:00.000Z',
    };
    const on = parseHostsFile(hostsFileText(inst, true));
    assert.deepEqual(on, { inst, published: true });
    assert.match(hostsFileText(inst, true), /^172\.18\.0\.2 web$/m);
    assert.deepEqual(parseHostsFile(hostsFileText(inst, false, 'unhealthy')), { inst, published: false });
    const me = { host: 'vm', id: 'vm-new-80', startedAt: Date.parse('2026-12-02T00:00:00Z'), liveContainers: new Set<string>() };
    assert.equal(isStale(inst, me), true);
    assert.equal(isStale({ ...inst, host: 'other' }, me), false, "another host's entry");
    assert.equal(isStale(inst, { ...me, liveContainers: new Set([inst.container]) }), false, 'a container that still exists');
    assert.equal(isStale({ ...inst, registeredAt: '2026-12-03T00:00:00.000Z' }, me), false, 'made after register started');
  });
});
