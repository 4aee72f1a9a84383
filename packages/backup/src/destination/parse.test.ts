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
    assert.throws(() => parseDestination(bad), (e: unknown) => e instanceof UsageError && !e.message.includes('\n'), bad);
  }
});
