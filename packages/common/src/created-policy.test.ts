import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, checkCreated, createdLookups, type CreatedFacts, type CreatedInspect } from './created-policy.js';
import type { CreatePolicy } from './create-policy.js';

const POLICY: CreatePolicy = { allowedCaps: ['DAC_READ_SEARCH'], bindSources: ['/srv/backups'], allowVolumesFrom: true, allowVolumes: false };

/** What 20.10 reports for a plain `docker create` on cgroup v1, with `hc` over it. */
function created(
  hc: Record<string, unknown> = {},
  mounts: CreatedInspect['Mounts'] = [],
  networks: Record<string, { NetworkID: string }> = { bridge: { NetworkID: 'b1' } },
): CreatedInspect {
  return {
    Id: 'c1',
    HostConfig: {
      Privileged: false,
      NetworkMode: 'default',
      IpcMode: 'private',
      PidMode: '',
      CgroupnsMode: 'host',
      UTSMode: '',
      UsernsMode: '',
      Runtime: 'runc',
      LogConfig: { Type: 'json-file', Config: {} },
      MaskedPaths: DEFAULT_MASKED_PATHS,
      ReadonlyPaths: DEFAULT_READONLY_PATHS,
      Devices: [],
      CapAdd: null,
      SecurityOpt: null,
      CgroupParent: '',
      ...hc,
    },
    Mounts: mounts,
    NetworkSettings: { Networks: networks },
  };
}

function facts(over: Partial<CreatedFacts> = {}): CreatedFacts {
  return {
    engine: { cgroupVersion: '1', defaultRuntime: 'runc', loggingDriver: 'json-file', hostNetworkId: 'h1' },
    containers: new Map(),
    volumes: new Map(),
    binds: new Map(),
    ...over,
  };
}

describe('checkCreated: the container as the engine made it', () => {
  it('lets a plain container and an allowed bind through', () => {
    assert.equal(checkCreated(created(), POLICY, facts()), null);
    const m = [{ Type: 'bind', Source: '/srv/backups/a', Destination: '/b' }];
    assert.equal(checkCreated(created({ CapAdd: ['CAP_DAC_READ_SEARCH'] }, m), POLICY, facts({ binds: new Map([['/srv/backups/a', { real: '/srv/backups/a' }]]) })), null);
  });

  it("catches each of the issue's bypasses, whatever the body said", () => {
    // "hostconfig":{"privileged":true}
    assert.match(checkCreated(created({ Privileged: true }), POLICY, facts()) ?? '', /Privileged/);
    // "binds":["/:/host"] and "mounts":[{"type":"bind","source":"/"...}]: a bind the resolver refuses.
    const root = [{ Type: 'bind', Source: '/', Destination: '/host' }];
    assert.match(
      checkCreated(created({ Binds: ['/:/host'] }, root), POLICY, facts({ binds: new Map([['/', { refused: 'bind of / would expose the Docker socket' }]]) })) ?? '',
      /Docker socket/,
    );
    assert.match(checkCreated(created({}, root), POLICY, facts()) ?? '', /could not be resolved/);
    // "networkmode":"host","pidmode":"host"
    assert.match(checkCreated(created({ NetworkMode: 'host' }, [], { host: { NetworkID: 'h1' } }), POLICY, facts()) ?? '', /NetworkMode host/);
    assert.match(checkCreated(created({ PidMode: 'host' }), POLICY, facts()) ?? '', /PidMode host/);
    // "devices":[{"PathOnHost":"/dev/vda",...}]
    assert.match(checkCreated(created({ Devices: [{ PathOnHost: '/dev/vda', PathInContainer: '/dev/vda', CgroupPermissions: 'rwm' }] }), POLICY, facts()) ?? '', /Devices/);
  });

  it('refuses the rest of the policy as the engine reports it', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ CapAdd: ['CAP_SYS_ADMIN'] }, /SYS_ADMIN/],
      [{ SecurityOpt: ['seccomp=unconfined'] }, /security option/],
      [{ Sysctls: { 'kernel.x': '1' } }, /Sysctls/],
      [{ CgroupParent: '/' }, /CgroupParent/],
      [{ Runtime: 'other' }, /runtime/],
      [{ MaskedPaths: [] }, /unmasked/],
      [{ ReadonlyPaths: ['/proc/bus'] }, /writable/],
      [{ IpcMode: 'host' }, /IpcMode/],
      [{ UTSMode: 'host' }, /UTSMode/],
      [{ UsernsMode: 'host' }, /UsernsMode/],
      [{ DeviceCgroupRules: ['a *:* rwm'] }, /DeviceCgroupRules/],
      [{ LogConfig: { Type: 'syslog' } }, /log driver/],
    ];
    for (const [hc, why] of cases) assert.match(checkCreated(created(hc), POLICY, facts()) ?? '', why, JSON.stringify(hc));
    // cgroup v2: host is no default there.
    assert.match(
      checkCreated(created(), POLICY, facts({ engine: { cgroupVersion: '2', defaultRuntime: 'runc', loggingDriver: 'json-file', hostNetworkId: 'h1' } })) ?? '',
      /CgroupnsMode host/,
    );
    // The host network by id, under another name.
    assert.match(checkCreated(created({ NetworkMode: 'h1' }, [], { h1: { NetworkID: 'h1' } }), POLICY, facts()) ?? '', /host network/);
  });

  it('follows namespaces and volumes to where they come from', () => {
    const joined = (mode: string) => facts({ containers: new Map([['app', { HostConfig: { NetworkMode: mode, PidMode: mode, IpcMode: mode } }]]) });
    assert.equal(checkCreated(created({ NetworkMode: 'container:app' }, [], {}), POLICY, joined('bridge')), null);
    assert.match(checkCreated(created({ NetworkMode: 'container:app' }, [], {}), POLICY, joined('host')) ?? '', /the host's namespace/);
    assert.match(checkCreated(created({ PidMode: 'container:app' }), POLICY, joined('host')) ?? '', /PidMode container:app/);
    // VolumesFrom: the target's own binds are its business, a socket is not.
    const appMounts = [{ Type: 'bind', Source: '/etc/app', Destination: '/conf' }];
    const vf = facts({ containers: new Map([['app', { HostConfig: {}, Mounts: appMounts }]]) });
    assert.equal(checkCreated(created({ VolumesFrom: ['app:ro'] }, appMounts), POLICY, vf), null);
    const sock = facts({ containers: new Map([['px', { HostConfig: {}, Mounts: [{ Type: 'bind', Source: '/var/run/docker.sock', Destination: '/s' }] }]]) });
    assert.match(checkCreated(created({ VolumesFrom: ['px'] }), POLICY, sock) ?? '', /Docker socket/);
    assert.match(checkCreated(created({ VolumesFrom: ['app'] }), { ...POLICY, allowVolumesFrom: false }, vf) ?? '', /VolumesFrom is not allowed/);
    // Volumes: anonymous local ones only (no driver options: they can bind any host path).
    const anon = 'a'.repeat(64);
    const vol = (name: string, v: { Driver: string; Options: Record<string, string> | null }) =>
      checkCreated(created({}, [{ Type: 'volume', Name: name, Destination: '/v' }]), POLICY, facts({ volumes: new Map([[name, v]]) }));
    assert.equal(vol(anon, { Driver: 'local', Options: null }), null);
    assert.match(vol(anon, { Driver: 'local', Options: { device: '/', o: 'bind', type: 'none' } }) ?? '', /driver options/);
    assert.match(vol('named', { Driver: 'local', Options: null }) ?? '', /volume named is not allowed/);
  });

  it('names what to fetch', () => {
    const c = created({ VolumesFrom: ['app:ro'], NetworkMode: 'container:net1' }, [
      { Type: 'bind', Source: '/srv/backups/a', Destination: '/b' },
      { Type: 'volume', Name: 'v1', Destination: '/v' },
    ]);
    assert.deepEqual(createdLookups(c), { containers: ['app', 'net1'], volumes: ['v1'], binds: ['/srv/backups/a'] });
  });
});
