import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '@dockside/common';
import { parseDestination } from './parse.js';

test('directories: absolute paths and file:// URLs', () => {
  assert.deepEqual(parseDestination('/var/backups/app/'), { kind: 'dir', path: '/var/backups/app' });
  assert.deepEqual(parseDestination('file:///var/backups/x'), { kind: 'dir', path: '/var/backups/x' });
  assert.deepEqual(parseDestination('/'), { kind: 'dir', path: '/' });
});

test('s3://bucket/prefix', () => {
  assert.deepEqual(parseDestination('s3://my-bucket/app/prod/'), { kind: 's3', bucket: 'my-bucket', prefix: 'app/prod' });
  assert.deepEqual(parseDestination('s3://my-bucket'), { kind: 's3', bucket: 'my-bucket', prefix: '' });
});

test('bad destinations are one-line usage errors', () => {
  for (const bad of ['', 'relative/dir', 'ftp://x/y', 's3://Bad_Bucket/x', 's3://ok-bucket/../x']) {
    assert.throws(
      () => parseDestination(bad),
      (e: unknown) => e instanceof UsageError && !e.message.includes('\n'),
      bad,
    );
  }
});

test('file:relative is an error with a hint, not /relative', () => {
  assert.throws(
    () => parseDestination('file:relative/dir'),
    (err: Error & { hint?: string; exitCode?: number }) => /not an absolute file URL/.test(err.message) && /file:\/\/\//.test(err.hint ?? '') && err.exitCode === 2,
  );
  assert.throws(() => parseDestination('file://host/dir'), /not an absolute file URL/);
  assert.deepEqual(parseDestination('file:///srv/b'), { kind: 'dir', path: '/srv/b' });
});
