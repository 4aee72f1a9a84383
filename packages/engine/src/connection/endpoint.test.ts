import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '@dockside/common';
import { endpointFromEnv } from './endpoint.js';

describe('endpointFromEnv (like the docker CLI)', () => {
  it('defaults to the local socket', () => {
    assert.deepEqual(endpointFromEnv({}), { kind: 'unix', display: 'unix:///var/run/docker.sock', socketPath: '/var/run/docker.sock' });
  });
  it('reads unix://', () => {
    assert.equal(endpointFromEnv({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }).socketPath, '/run/user/1000/docker.sock');
  });
  it('reads tcp:// without TLS on 2375', () => {
    const e = endpointFromEnv({ DOCKER_HOST: 'tcp://10.0.0.5' });
    assert.equal(e.kind, 'tcp');
    assert.equal(e.port, 2375);
    assert.equal(e.tls, undefined);
  });
  it('reads tcp:// with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH', () => {
    const e = endpointFromEnv({ DOCKER_HOST: 'tcp://docker.example:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' });
    assert.deepEqual(e.tls, { verify: true, certPath: '/certs' });
    assert.equal(e.display, 'tcp://docker.example:2376 (TLS)');
  });
  it('reads ssh:// with user and port', () => {
    const e = endpointFromEnv({ DOCKER_HOST: 'ssh://ops@db1:2222' });
    assert.equal(e.kind, 'ssh');
    assert.equal(e.username, 'ops');
    assert.equal(e.port, 2222);
  });
  it('rejects unknown schemes and relative sockets', () => {
    assert.throws(() => endpointFromEnv({ DOCKER_HOST: 'ftp://x' }), UsageError);
    assert.throws(() => endpointFromEnv({ DOCKER_HOST: 'unix://relative.sock' }), UsageError);
  });
});
