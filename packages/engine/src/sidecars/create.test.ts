import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BugError } from '@dockside/common';
import { buildCreateOptions, sidecarName } from './create.js';
import type { TargetContainer } from '../containers/resolve.js';
import { parseEnvFile } from './env-file.js';

const target: TargetContainer = {
  id: 'a'.repeat(64),
  name: 'web',
  image: 'nginx',
  imageId: 'sha256:x',
  running: true,
  paused: false,
  status: 'running',
  pid: 42,
  networkMode: 'bridge',
  mounts: [],
  labels: {},
  startedAt: '2026-01-01T00:00:00Z',
};

describe('buildCreateOptions', () => {
  it('joins the target, drops every capability but the ones asked for, and labels the sidecar', async () => {
    const o = await buildCreateOptions({
      role: 'netdebug',
      image: 'dockside/netdebug:1',
      version: '1',
      session: 's1',
      target,
      join: { volumes: true, network: true, pid: true },
      capAdd: ['NET_RAW'],
      cmd: ['probe'],
    });
    assert.deepEqual(o.HostConfig?.VolumesFrom, [target.id]);
    assert.equal(o.HostConfig?.NetworkMode, `container:${target.id}`);
    assert.equal(o.HostConfig?.PidMode, `container:${target.id}`);
    assert.deepEqual(o.HostConfig?.CapDrop, ['ALL']);
    assert.deepEqual(o.HostConfig?.CapAdd, ['NET_RAW']);
    assert.equal(o.HostConfig?.Privileged, undefined);
    assert.deepEqual(o.HostConfig?.SecurityOpt, ['no-new-privileges']);
    assert.equal(o.HostConfig?.AutoRemove, true);
    assert.deepEqual(o.Labels, {
      dockside: 'true',
      'dockside.role': 'netdebug',
      'dockside.version': '1',
      'dockside.session': 's1',
      'dockside.target': target.id,
      'dockside.target.name': 'web',
    });
    assert.match(o.name ?? '', /^dockside-netdebug-web-[0-9a-f]{6}$/);
  });
  it('publishes ports on loopback unless told otherwise', async () => {
    const o = await buildCreateOptions({ role: 'metrics', image: 'i', version: '1', session: 's', ports: [{ containerPort: 9323, hostPort: 9323 }] });
    assert.deepEqual(o.HostConfig?.PortBindings, { '9323/tcp': [{ HostIp: '127.0.0.1', HostPort: '9323' }] });
  });
  it('refuses to join without a target: a bug in the caller, reported as one', async () => {
    await assert.rejects(buildCreateOptions({ role: 'x', image: 'i', version: '1', session: 's', join: { network: true } }), BugError);
  });
  it('makes unique readable names', () => {
    assert.notEqual(sidecarName('backup', 'db'), sidecarName('backup', 'db'));
    assert.match(sidecarName('cron'), /^dockside-cron-[0-9a-f]{6}$/);
  });
});

describe('parseEnvFile', () => {
  it('reads KEY=VALUE, skips comments, takes bare keys from the environment', () => {
    const env = parseEnvFile('# c\nA=1\n\nB= spaced value \nC\nD\n', 'f', { C: 'from-env' });
    assert.deepEqual(env, { A: '1', B: ' spaced value ', C: 'from-env' });
  });
  it('rejects bad names with the line number', () => {
    assert.throws(() => parseEnvFile('OK=1\n1BAD=2', 'prod.env'), /prod.env:2/);
  });
});
