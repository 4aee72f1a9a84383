import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FileFollower } from './file-follower.js';
import { checkGlobInVolumes, expandGlob, globToRegExp } from './glob.js';

const dir = mkdtempSync(join(tmpdir(), 'ff-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const text = (ls: Array<{ message: Buffer }>) => ls.map((l) => l.message.toString());

describe('file follower', () => {
  it('waits for a trailing line, follows rename+create and copytruncate, resumes from a position', async () => {
    const f = join(dir, 'app.log');
    writeFileSync(f, 'first line\nsecond\npart');
    const ff = new FileFollower(f, undefined, 1024);
    assert.deepEqual(text(await ff.poll()), ['first line', 'second']);
    appendFileSync(f, 'ial\n');
    const l3 = await ff.poll();
    assert.deepEqual(text(l3), ['partial']);
    // rename + create: the rest of the old file first, then the new one from its start
    appendFileSync(f, 'last of old\n');
    renameSync(f, `${f}.1`);
    writeFileSync(f, 'new file line\n');
    assert.deepEqual(text(await ff.poll()), ['last of old', 'new file line']);
    // copytruncate: same inode, shorter than the offset
    appendFileSync(f, 'before truncate\n');
    await ff.poll();
    truncateSync(f, 0);
    appendFileSync(f, 'after truncate, and longer than before\n');
    assert.deepEqual(text(await ff.poll()), ['after truncate, and longer than before'], 'grown past the old offset again: still seen');
    await ff.close();
    // a new follower resumes after the last delivered line of the same file (same fingerprint)
    const pos = { fingerprint: l3[0]?.position.fingerprint ?? '', offset: 0 };
    writeFileSync(join(dir, 'b.log'), 'one\ntwo\nthree\n');
    const a = new FileFollower(join(dir, 'b.log'), undefined, 1024);
    const ls = await a.poll();
    const b = new FileFollower(join(dir, 'b.log'), ls[1]?.position, 1024);
    assert.deepEqual(text(await b.poll()), ['three']);
    const c = new FileFollower(join(dir, 'b.log'), { ...pos, offset: 4 }, 1024);
    assert.deepEqual(text(await c.poll()), ['one', 'two', 'three'], 'another fingerprint: from the start');
  });

  it('expands globs with *, ? and **', async () => {
    writeFileSync(join(dir, 'x-1.log'), '');
    assert.ok(globToRegExp('/a/**/b-?.log').test('/a/c/d/b-1.log'));
    assert.ok(globToRegExp('/a/**/b-?.log').test('/a/b-1.log'));
    assert.ok(!globToRegExp('/a/*.log').test('/a/c/b.log'));
    assert.deepEqual(await expandGlob(join(dir, 'x-?.log'), [dir]), [join(dir, 'x-1.log')]);
  });

  it("matches only inside the volumes: `..` resolved first, symbolic links out of them and the sidecar's own files refused", async () => {
    const vol = join(dir, 'vol');
    mkdirSync(join(vol, 'app'), { recursive: true });
    writeFileSync(join(vol, 'app', 'a.log'), 'a\n');
    writeFileSync(join(dir, 'outside.log'), 'secret\n');
    symlinkSync(join(dir, 'outside.log'), join(vol, 'app', 'escape.log'));
    assert.deepEqual(await expandGlob(`${vol}/app/*.log`, [vol]), [join(vol, 'app', 'a.log')], 'the link out of the volume is no match');
    assert.deepEqual(await expandGlob(`${vol}/app/../../outside.log`, [vol]), [], '`..` out of the volume');
    assert.deepEqual(await expandGlob(`${vol}/app/../app/a.log`, [vol]), [join(vol, 'app', 'a.log')], '`..` that stays inside');
    assert.deepEqual(await expandGlob('/etc/hostname', [vol]), [], "the sidecar's own file");
    assert.deepEqual(await expandGlob('/**/a.log', [vol]), [join(vol, 'app', 'a.log')], 'a glob above the volume walks only the volume');
    assert.deepEqual(await expandGlob(`${dir}/*.log`, []), [], 'no volumes, no files');
    assert.throws(
      () => checkGlobInVolumes('/var/log/app/../../../etc/passwd', ['/var/log/app'], 'web'),
      /^UsageError: no file matches \/var\/log\/app\/\.\.\/\.\.\/\.\.\/etc\/passwd in the container's volumes$/,
    );
    checkGlobInVolumes('/var/log/app/*.log', ['/var/log/app'], 'web');
  });
});
