import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '@dockside/common';
import { parseMaxLine, readTlsCa, validateShipConfig } from './config.js';
import { parseSinkUrl } from './sinks/url.js';

const base = {
  name: 'default',
  to: 'file:///var/log/shipped',
  selection: { containers: ['web'], all: false, labels: [] as string[] },
  maxLine: 1024 * 1024,
  files: [] as string[],
};

/** The bad input is refused as a usage error (exit 2) that says what to do, on a hint line. */
function refusedWithHint(f: () => unknown, message: RegExp, hint: RegExp): void {
  assert.throws(f, (err: unknown) => {
    assert.ok(err instanceof UsageError, `a UsageError, got ${String(err)}`);
    assert.equal(err.exitCode, 2);
    assert.match(err.message, message);
    assert.match(err.hint ?? '', hint);
    return true;
  });
}

describe('logs ship: bad input gets a hint', () => {
  it('a relative file destination (file://dir/sub reads dir as a host) suggests the absolute spelling', () => {
    for (const to of ['file://relative/dir', 'file://logs', 'file://./out']) {
      refusedWithHint(() => parseSinkUrl(to), /absolute directory/, /file:\/\/\$PWD\//);
    }
  });

  it('a --name the engine cannot use in a container name', () => {
    for (const name of ['bad/name', '-x', '', 'a b', 'x'.repeat(42)]) refusedWithHint(() => validateShipConfig({ ...base, name }), /--name must be/, /e\.g\. --name/);
  });

  it('a --label without a key', () => {
    for (const l of ['=x', '=', 'a b=c'])
      refusedWithHint(() => validateShipConfig({ ...base, selection: { ...base.selection, labels: [l] } }), /--label must be key or key=value/, /e\.g\. --label/);
  });

  it('a --max-line out of range (0, below 1KiB, above 64MiB)', () => {
    for (const v of ['0', '1000', '65MiB']) refusedWithHint(() => parseMaxLine(v), /--max-line must be between/, /e\.g\. --max-line/);
    assert.equal(parseMaxLine('256KiB'), 256 * 1024);
  });

  it('a --tls-ca that cannot be read, or with a destination that is not syslog+tls', async () => {
    const tls = parseSinkUrl('syslog+tls://127.0.0.1:6514');
    for (const p of ['/nonexistent/ca.pem', '/']) {
      await assert.rejects(readTlsCa(p, tls), (err: unknown) => err instanceof UsageError && /cannot read --tls-ca/.test(err.message) && /PEM file/.test(err.hint ?? ''));
    }
    await assert.rejects(readTlsCa('/etc/hostname', parseSinkUrl('file:///x')), (err: unknown) => err instanceof UsageError && /syslog\+tls/.test(err.hint ?? ''));
  });
});
