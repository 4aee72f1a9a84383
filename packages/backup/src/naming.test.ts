import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backupId, dumpArchiveName, isBackupId, safeName, uniqueNames, volumeArchiveName } from './naming.js';

test('backup ids carry the container and the UTC second, and are recognised', () => {
  const id = backupId('my-app', new Date('2026-11-21T23:38:05.123Z'));
  assert.equal(id, 'my-app-20261121T233805Z');
  assert.ok(isBackupId(id));
  assert.ok(!isBackupId('my-app'));
  assert.ok(!isBackupId('../x-20261121T233805Z'));
});

test('archive names are readable and safe', () => {
  assert.equal(volumeArchiveName('volume', 'pg-data', '/var/lib/postgresql', 'zstd'), 'vol-pg-data.tar.zst');
  assert.equal(volumeArchiveName('bind', '/srv/www', '/usr/share/nginx/html', 'gzip'), 'bind-usr_share_nginx_html.tar.gz');
  assert.equal(dumpArchiveName('all.sql', 'none'), 'dump-all.sql');
  assert.equal(safeName('../../etc'), 'etc');
  assert.equal(safeName('...'), 'root');
});

test('clashing archive names are made unique', () => {
  assert.deepEqual(uniqueNames(['vol-a.tar.zst', 'vol-a.tar.zst', 'vol-b.tar.zst']), ['vol-a.tar.zst', 'vol-a-2.tar.zst', 'vol-b.tar.zst']);
});
