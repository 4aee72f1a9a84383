import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backupId, dumpArchiveName, isBackupId, safeName, uniqueNames, volumeArchiveName } from './naming.js';

test('backup ids carry the container, the UTC second and a random suffix, and are recognised', () => {
  const at = new Date('2026-11-21T23:38:05.123Z');
  assert.equal(backupId('my-app', at, 'a1b2c3'), 'my-app-20261121T233805Z-a1b2c3');
  const id = backupId('my-app', at);
  assert.match(id, /^my-app-20261121T233805Z-[0-9a-f]{6}$/);
  // Two backups of one container in one second get two ids.
  assert.equal(new Set(Array.from({ length: 50 }, () => backupId('my-app', at))).size, 50);
  assert.ok(isBackupId(id));
  assert.ok(isBackupId('my-app-20261121T233805Z'), 'ids of earlier versions');
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
