import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '@dockside/common';
import { parseTarget } from './target.js';

test('directories: absolute paths and file:// URLs', () => {
  assert.deepEqual(parseTarget('/var/backups/app/'), { kind: 'dir', path: '/var/backups/app' });
  assert.deepEqual(parseTarget('file:///var/backups/x'), { kind: 'dir', path: '/var/backups/x' });
  assert.deepEqual(parseTarget('/'), { kind: 'dir', path: '/' });
});

test('s3://bucket/prefix', () => {
  assert.deepEqual(parseTarget('s3://my-bucket/app/prod/'), { kind: 's3', bucket: 'my-bucket', prefix: 'app/prod' });
  assert.deepEqual(parseTarget('s3://my-bucket'), { kind: 's3', bucket: 'my-bucket', prefix: '' });
});

test('bad targets are one-line usage errors', () => {
  for (const bad of ['', 'relative/dir', 'ftp://x/y', 's3://Bad_Bucket/x', 's3://ok-bucket/../x']) {
    assert.throws(() => parseTarget(bad), (e: unknown) => e instanceof UsageError && !e.message.includes('\n'), bad);
  }
});
