import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '@dockside/common';
import { liteSocketFromEnv } from './lite.js';

describe('liteSocketFromEnv', () => {
  it('follows DOCKER_HOST=unix:// (a service behind its api-proxy), else the default socket', () => {
    assert.equal(liteSocketFromEnv({ DOCKER_HOST: 'unix:///run/dockside-api/docker.sock' }), '/run/dockside-api/docker.sock');
    assert.equal(liteSocketFromEnv({}), '/var/run/docker.sock');
    assert.equal(liteSocketFromEnv({ DOCKER_HOST: '' }), '/var/run/docker.sock');
  });
  it('refuses other schemes', () => {
    assert.throws(() => liteSocketFromEnv({ DOCKER_HOST: 'tcp://127.0.0.1:2375' }), /only unix/);
    assert.throws(() => liteSocketFromEnv({ DOCKER_HOST: 'unix://' }), /only unix/);
    // Bad input the user can fix: a usage error with a hint (a sidecar reports it as such, not as a bug).
    assert.throws(
      () => liteSocketFromEnv({ DOCKER_HOST: 'tcp://127.0.0.1:2375' }),
      (err: unknown) => err instanceof UsageError && err.hint !== undefined,
    );
  });
});
