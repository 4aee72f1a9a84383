import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkCreate, checkVolumesFromMounts, parseCreatePolicy, volumesFromRefs, type CreatePolicy } from './create-policy.js';

const POLICY: CreatePolicy = { allowedCaps: ['DAC_READ_SEARCH', 'DAC_OVERRIDE'], bindSources: ['/srv/backups'], allowVolumesFrom: true, allowVolumes: false };

/** What the engine's sidecar create sends for a backup sidecar into a --backup-dir directory. */
function backupSidecar(hc: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Image: 'dockside/backup:x',
    Labels: { 'dockside.role': 'backup' },
    HostConfig: {
      AutoRemove: true,
      Init: true,
      CapDrop: ['ALL'],
      CapAdd: ['DAC_READ_SEARCH'],
      SecurityOpt: ['no-new-privileges'],
      ReadonlyRootfs: false,
      VolumesFrom: ['abc123'],
      NetworkMode: 'none',
      Mounts: [{ Type: 'bind', Source: '/srv/backups/app', Target: '/backup', ReadOnly: false }],
      ...hc,
    },
  };
}

describe('checkCreate', () => {
  it('lets the backup sidecar and a plain job container through', () => {
    assert.equal(checkCreate(backupSidecar(), POLICY), null);
    assert.equal(checkCreate(backupSidecar({ CapAdd: ['cap_dac_override', 'DAC_READ_SEARCH'] }), POLICY), null);
    assert.equal(checkCreate({ Image: 'alpine', Cmd: ['true'], HostConfig: { AutoRemove: true, CapDrop: ['ALL'], CapAdd: [], SecurityOpt: ['no-new-privileges'] } }, POLICY), null);
    assert.equal(checkCreate({ Image: 'alpine' }, POLICY), null);
    assert.equal(checkCreate(backupSidecar({ Mounts: [{ Type: 'tmpfs', Target: '/tmp' }], NetworkMode: 'bridge' }), POLICY), null);
    assert.equal(checkCreate(backupSidecar({ Binds: ['/srv/backups:/b:rw'] }), POLICY), null);
  });

  it('refuses Privileged', () => {
    assert.match(checkCreate(backupSidecar({ Privileged: true }), POLICY) ?? '', /Privileged/);
    assert.match(checkCreate(backupSidecar({ Privileged: 1 }), POLICY) ?? '', /Privileged/);
  });

  it('refuses capabilities outside the allow-list, and ALL', () => {
    assert.match(checkCreate(backupSidecar({ CapAdd: ['SYS_ADMIN'] }), POLICY) ?? '', /capability SYS_ADMIN/);
    assert.match(checkCreate(backupSidecar({ CapAdd: ['CAP_SYS_PTRACE'] }), POLICY) ?? '', /SYS_PTRACE/);
    assert.match(checkCreate(backupSidecar({ CapAdd: ['ALL'] }), { ...POLICY, allowedCaps: ['ALL'] }) ?? '', /ALL/);
    assert.match(checkCreate(backupSidecar({ CapAdd: 'SYS_ADMIN' }), POLICY) ?? '', /not a list/);
  });

  it('refuses binds outside the allowed directories, resolving ..', () => {
    assert.match(checkCreate(backupSidecar({ Binds: ['/:/host'] }), POLICY) ?? '', /Docker socket|outside/);
    assert.match(checkCreate(backupSidecar({ Binds: ['/etc:/etc2:ro'] }), POLICY) ?? '', /outside the allowed/);
    assert.match(checkCreate(backupSidecar({ Binds: ['/srv/backups/../../etc:/x'] }), POLICY) ?? '', /host path \/etc is outside/);
    assert.match(checkCreate(backupSidecar({ Binds: ['/srv/backupsX:/x'] }), POLICY) ?? '', /outside/);
    assert.match(checkCreate(backupSidecar({ Mounts: [{ Type: 'bind', Source: '/srv/backups/a/../../../root', Target: '/r' }] }), POLICY) ?? '', /\/root is outside/);
    assert.match(checkCreate(backupSidecar({ Mounts: [{ Type: 'bind', Source: 'relative', Target: '/r' }] }), POLICY) ?? '', /not an absolute path/);
    assert.match(checkCreate(backupSidecar({ Mounts: [{ Type: 'bind', Target: '/r' }] }), POLICY) ?? '', /not an absolute path/);
  });

  it('refuses anything that mounts the Docker socket, even under an allowed prefix', () => {
    const wide: CreatePolicy = { ...POLICY, bindSources: ['/var', '/run', '/'] };
    assert.match(checkCreate(backupSidecar({ Binds: ['/var/run/docker.sock:/var/run/docker.sock'] }), wide) ?? '', /Docker socket/);
    assert.match(checkCreate(backupSidecar({ Mounts: [{ Type: 'bind', Source: '/run/docker.sock', Target: '/s' }] }), wide) ?? '', /Docker socket/);
    assert.match(checkCreate(backupSidecar({ Binds: ['/var/run:/x'] }), wide) ?? '', /Docker socket/);
    assert.match(checkCreate(backupSidecar({ Binds: ['/var:/x'] }), wide) ?? '', /Docker socket/);
    assert.match(checkCreate(backupSidecar({ Binds: ['/run/user/1000/docker.sock:/x'] }), wide) ?? '', /Docker socket/);
    // '/' as an allowed prefix is ignored: it would allow every path.
    assert.match(checkCreate(backupSidecar({ Binds: ['/etc:/x'] }), { ...POLICY, bindSources: ['/'] }) ?? '', /outside/);
  });

  it('allows only the named volumes volumeNames lists (exact, or a prefix with *), without driver options', () => {
    const p: CreatePolicy = { ...POLICY, volumeNames: ['dockside-fleet-logship-api', 'dockside-logship-fleet-*'] };
    const m = (Source: string, extra: Record<string, unknown> = {}) => backupSidecar({ Mounts: [{ Type: 'volume', Source, Target: '/x', ...extra }] });
    assert.equal(checkCreate(m('dockside-fleet-logship-api'), p), null);
    assert.equal(checkCreate(m('dockside-logship-fleet-a1-b2'), p), null);
    assert.match(checkCreate(m('dockside-logship-fleet-'), p) ?? '', /volume mounts are not allowed/);
    assert.match(checkCreate(m('dockside-fleet-logship-api2'), p) ?? '', /volume mounts are not allowed/);
    assert.equal(checkCreate(m(''), p), null, 'an anonymous volume');
    assert.match(checkCreate(m(''), POLICY) ?? '', /volume mounts are not allowed/);
    assert.equal(checkCreate(backupSidecar({ Binds: ['dockside-logship-fleet-x:/x'] }), p), null);
    assert.match(checkCreate(backupSidecar({ Binds: ['other:/x'] }), p) ?? '', /volume other/);
    assert.match(
      checkCreate(m('dockside-logship-fleet-x', { VolumeOptions: { DriverConfig: { Name: 'local', Options: { o: 'bind', device: '/' } } } }), { ...p }) ?? '',
      /driver options|not allowed/,
    );
    assert.deepEqual(parseCreatePolicy(JSON.stringify(p)).volumeNames, p.volumeNames);
  });

  it('refuses volumes and VolumesFrom unless allowed', () => {
    assert.match(checkCreate(backupSidecar({ Binds: ['somevol:/x'] }), POLICY) ?? '', /volume somevol/);
    assert.match(checkCreate(backupSidecar({ Mounts: [{ Type: 'volume', Source: 'v', Target: '/x' }] }), POLICY) ?? '', /volume mounts/);
    assert.match(
      checkCreate(
        backupSidecar({
          Mounts: [{ Type: 'volume', Source: 'v', Target: '/x', VolumeOptions: { DriverConfig: { Name: 'local', Options: { type: 'none', o: 'bind', device: '/' } } } }],
        }),
        { ...POLICY, allowVolumes: true },
      ) ?? '',
      /driver options/,
    );
    assert.match(checkCreate(backupSidecar(), { ...POLICY, allowVolumesFrom: false }) ?? '', /VolumesFrom/);
    assert.match(checkCreate(backupSidecar({ Mounts: [{ Type: 'npipe', Source: 'x', Target: '/x' }] }), POLICY) ?? '', /mount type/);
  });

  it('refuses host namespaces', () => {
    for (const ns of ['PidMode', 'IpcMode', 'UTSMode', 'UsernsMode', 'CgroupnsMode', 'NetworkMode']) {
      assert.match(checkCreate(backupSidecar({ [ns]: 'host' }), POLICY) ?? '', new RegExp(`${ns} host`), ns);
      assert.match(checkCreate(backupSidecar({ [ns]: 'HOST' }), POLICY) ?? '', new RegExp(`${ns} host`), ns);
    }
  });

  it('refuses devices, loosened security options, cgroup parent, sysctls, path overrides, runtimes', () => {
    assert.match(checkCreate(backupSidecar({ Devices: [{ PathOnHost: '/dev/sda', PathInContainer: '/dev/sda', CgroupPermissions: 'rwm' }] }), POLICY) ?? '', /Devices/);
    assert.match(checkCreate(backupSidecar({ DeviceRequests: [{ Count: -1 }] }), POLICY) ?? '', /DeviceRequests/);
    assert.match(checkCreate(backupSidecar({ DeviceCgroupRules: ['a *:* rwm'] }), POLICY) ?? '', /DeviceCgroupRules/);
    for (const s of [
      'apparmor=unconfined',
      'apparmor:unconfined',
      'seccomp=unconfined',
      'seccomp:unconfined',
      'label=disable',
      'systempaths=unconfined',
      'seccomp={"defaultAction":"SCMP_ACT_ALLOW"}',
    ]) {
      assert.match(checkCreate(backupSidecar({ SecurityOpt: ['no-new-privileges', s] }), POLICY) ?? '', /security option/, s);
    }
    assert.match(checkCreate(backupSidecar({ CgroupParent: '/' }), POLICY) ?? '', /CgroupParent/);
    assert.match(checkCreate(backupSidecar({ Sysctls: { 'kernel.core_pattern': '|/x' } }), POLICY) ?? '', /Sysctls/);
    assert.match(checkCreate(backupSidecar({ MaskedPaths: [] }), POLICY) ?? '', /MaskedPaths/);
    assert.match(checkCreate(backupSidecar({ ReadonlyPaths: ['/proc'] }), POLICY) ?? '', /ReadonlyPaths/);
    assert.match(checkCreate(backupSidecar({ Runtime: 'runc-unsafe' }), POLICY) ?? '', /Runtime/);
  });

  it('refuses bodies that are not objects', () => {
    assert.match(checkCreate(null, POLICY) ?? '', /not a JSON object/);
    assert.match(checkCreate([], POLICY) ?? '', /not a JSON object/);
    assert.match(checkCreate({ HostConfig: [] }, POLICY) ?? '', /HostConfig/);
  });
});

describe('parseCreatePolicy', () => {
  it('reads what the engine writes', () => {
    assert.deepEqual(parseCreatePolicy(JSON.stringify(POLICY)), POLICY);
    assert.deepEqual(parseCreatePolicy('{"allowedCaps":["cap_chown"]}'), { allowedCaps: ['CHOWN'], bindSources: [], allowVolumesFrom: false, allowVolumes: false });
  });
  it('names what is wrong', () => {
    assert.throws(() => parseCreatePolicy('{'), /not JSON/);
    assert.throws(() => parseCreatePolicy('[]'), /JSON object/);
    assert.throws(() => parseCreatePolicy('{"privileged":true}'), /unknown keys: privileged/);
    assert.throws(() => parseCreatePolicy('{"bindSources":["rel"]}'), /not an absolute path/);
    assert.throws(() => parseCreatePolicy('{"allowedCaps":"ALL"}'), /list of strings/);
  });
});

describe('VolumesFrom sources', () => {
  it('lists the referenced containers', () => {
    assert.deepEqual(volumesFromRefs(backupSidecar({ VolumesFrom: ['abc:ro', 'def'] })), ['abc', 'def']);
    assert.deepEqual(volumesFromRefs({ Image: 'x' }), []);
  });
  it('refuses a container that binds the Docker socket, or /', () => {
    assert.match(
      checkVolumesFromMounts('proxy', [{ Type: 'bind', Source: '/var/run/docker.sock', Destination: '/var/run/docker.sock' }]) ?? '',
      /VolumesFrom proxy would expose the Docker socket/,
    );
    assert.match(checkVolumesFromMounts('x', [{ Type: 'bind', Source: '/', Destination: '/host' }]) ?? '', /Docker socket/);
    assert.equal(
      checkVolumesFromMounts('app', [
        { Type: 'volume', Name: 'data', Source: '/var/lib/docker/volumes/data/_data' },
        { Type: 'bind', Source: '/srv/app/conf' },
      ]),
      null,
    );
  });
});
