import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '@dockside/common';
import { healthcheckCommand, parseCheck, parseReload, resolveSpec, validatorArgv } from './spec.js';

describe('config spec', () => {
  it('reads --reload as a signal name (with or without SIG, any case), restart or none', () => {
    assert.deepEqual(parseReload('HUP'), { kind: 'signal', signal: 'SIGHUP' });
    assert.deepEqual(parseReload('sigusr1'), { kind: 'signal', signal: 'SIGUSR1' });
    assert.deepEqual(parseReload('restart'), { kind: 'restart' });
    assert.deepEqual(parseReload('none'), { kind: 'none' });
    for (const bad of ['BOGUS', 'KILL', 'STOP', '']) assert.throws(() => parseReload(bad), UsageError, bad);
  });

  it('reads --check as http:[PORT]/path, tcp:PORT or exec:CMD', () => {
    assert.deepEqual(parseCheck('http:/health'), { kind: 'http', port: 80, path: '/health' });
    assert.deepEqual(parseCheck('http:8080/health'), { kind: 'http', port: 8080, path: '/health' });
    assert.deepEqual(parseCheck('http::8080'), { kind: 'http', port: 8080, path: '/' });
    assert.deepEqual(parseCheck('tcp:5432'), { kind: 'tcp', port: 5432 });
    assert.deepEqual(parseCheck('exec:pg_isready -q -h "local host"'), { kind: 'exec', cmd: ['pg_isready', '-q', '-h', 'local host'] });
    for (const bad of ['udp:53', 'tcp:0', 'tcp:70000', 'http:', 'exec:', 'http:x/y']) assert.throws(() => parseCheck(bad), UsageError, bad);
  });

  it("uses the container's HEALTHCHECK test as an exec command", () => {
    assert.deepEqual(healthcheckCommand(['CMD', 'curl', '-f', 'http://localhost/']), { kind: 'healthcheck', cmd: ['curl', '-f', 'http://localhost/'] });
    assert.deepEqual(healthcheckCommand(['CMD-SHELL', 'curl -f localhost || exit 1']), { kind: 'healthcheck', cmd: ['/bin/sh', '-c', 'curl -f localhost || exit 1'] });
    assert.equal(healthcheckCommand(['NONE']), undefined);
  });

  it('replaces {} in the validator by the staged path, split as a shell splits words, without a shell', () => {
    assert.deepEqual(validatorArgv("nginx -t -c {} -g 'daemon off;'", '/conf/.n.staged'), ['nginx', '-t', '-c', '/conf/.n.staged', '-g', 'daemon off;']);
    assert.deepEqual(validatorArgv('check --file={}', '/a'), ['check', '--file=/a']);
    assert.throws(() => validatorArgv('nginx -t "', '/a'), UsageError);
  });

  it('takes path, validate, reload and check from dockside.config.<name>.* labels; flags win', () => {
    const labels = {
      'dockside.config.nginx.path': '/etc/nginx/nginx.conf',
      'dockside.config.nginx.validate': 'nginx -t -c {}',
      'dockside.config.nginx.reload': 'HUP',
      'dockside.config.nginx.check': 'http:/health',
    };
    assert.deepEqual(resolveSpec('nginx', labels, {}, 'web'), {
      path: '/etc/nginx/nginx.conf',
      name: 'nginx',
      validate: 'nginx -t -c {}',
      reload: { kind: 'signal', signal: 'SIGHUP' },
      check: { kind: 'http', port: 80, path: '/health' },
    });
    // The labelled path given as a path gets the labelled settings too.
    assert.equal(resolveSpec('/etc/nginx/nginx.conf', labels, {}, 'web').validate, 'nginx -t -c {}');
    assert.deepEqual(resolveSpec('nginx', labels, { reload: 'restart' }, 'web').reload, { kind: 'restart' });
    assert.equal(resolveSpec('nginx', labels, { validate: '' }, 'web').validate, undefined, "--validate '' turns the labelled validator off");
    assert.deepEqual([resolveSpec('nginx', labels, { check: 'none' }, 'web').check, resolveSpec('nginx', labels, { check: 'none' }, 'web').noCheck], [undefined, true]);
    assert.deepEqual(resolveSpec('/srv/app.ini', labels, {}, 'web'), { path: '/srv/app.ini', reload: { kind: 'none' } });
    assert.throws(
      () => resolveSpec('nginxx', labels, {}, 'web'),
      (e: UsageError) => /declared names: nginx/.test(e.hint ?? ''),
    );
    assert.throws(() => resolveSpec('/etc/../x', labels, {}, 'web'), UsageError);
    assert.throws(() => resolveSpec('/etc/nginx/', labels, {}, 'web'), UsageError);
  });
});
