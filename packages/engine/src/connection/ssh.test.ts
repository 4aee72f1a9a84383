import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sshArgv } from './ssh.js';

describe('sshArgv', () => {
  it("builds the docker CLI's dial-stdio command, the host after `--`", () => {
    assert.deepEqual(sshArgv({ host: 'db-1', port: 2222, username: 'ops' }), [
      '-o',
      'ConnectTimeout=30',
      '-T',
      '-l',
      'ops',
      '-p',
      '2222',
      '--',
      'db-1',
      'docker',
      'system',
      'dial-stdio',
    ]);
  });
  it('leaves the default port and a missing user to ssh (its config may name them)', () => {
    assert.deepEqual(sshArgv({ host: 'db-1', port: 22 }), ['-o', 'ConnectTimeout=30', '-T', '--', 'db-1', 'docker', 'system', 'dial-stdio']);
  });
  it('never lets a host name read as an option', () => {
    const argv = sshArgv({ host: '-oProxyCommand=touch /tmp/x' });
    assert.equal(argv[argv.indexOf('--') + 1], '-oProxyCommand=touch /tmp/x');
  });
});
