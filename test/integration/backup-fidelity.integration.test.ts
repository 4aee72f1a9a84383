/**
 * Backup fidelity against a real engine and a real file system: a tree with nanosecond times on
 * files, directories and symlinks, a 9 GiB sparse file with 3 bytes of data, a file with
 * security.capability and one with an ACL (and a default ACL), setuid/setgid/sticky bits, hard
 * links, names with newlines and invalid UTF-8; restored to a directory destination and from S3
 * into new volumes and compared byte for byte and attribute for attribute; the archive extracted
 * by GNU tar (`zstd -d | tar -x` and `tar -xzf`) gives the same tree. A destination that cannot be
 * created fails at once.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { IMAGE_TAG, RUN_ID, RUN_LABEL, cleanupRun, createVolume, docker, requireEngine, runCli, startFixture } from '../support/engine.js';
import { BASE_IMAGE, startS3, type S3Server } from './backup-support.js';

const label = `${RUN_LABEL}=${RUN_ID}`;
const BACKUP_IMAGE = `dockside/backup:${IMAGE_TAG}`;
const oneLine = (stderr: string) => stderr.trim().split('\n').filter((l) => !l.trim().startsWith('hint:')).length === 1;

/** Node in the backup image, with its native addon (xattrs, utimensat, SEEK_DATA) at hand. */
const FSX = "const fsx = require('/opt/dockside/fsx.node'), fs = require('fs'), crypto = require('crypto'); const B = (s) => Buffer.from(s);";

const FIXTURE_JS = `${FSX}
const root = process.argv[1];
const p = (s) => Buffer.concat([B(root + '/'), Buffer.isBuffer(s) ? s : B(s)]);
fs.mkdirSync(p('dir/sub'), { recursive: true });
fs.writeFileSync(p('dir/sub/a.txt'), 'a');
fs.writeFileSync(p('dir/b.bin'), crypto.randomBytes(3 * 1024 * 1024));
fs.symlinkSync('dir/b.bin', p('link'));
// 9 GiB, 3 bytes of data at 5 GiB.
let fd = fs.openSync(p('sparse.img'), 'w'); fs.ftruncateSync(fd, 9 * 2 ** 30); fs.writeSync(fd, B('abc'), 0, 3, 5 * 2 ** 30); fs.closeSync(fd);
// A capability (setcap cap_net_bind_service=+ep), an owner, setuid.
fs.writeFileSync(p('cap-bin'), 'x'); fs.chownSync(p('cap-bin'), 1234, 5678); fs.chmodSync(p('cap-bin'), 0o4755);
fsx.setXattr(p('cap-bin'), B('security.capability'), Buffer.from([1,0,0,2, 0,4,0,0, 0,0,0,0, 0,0,0,0, 0,0,0,0]));
fsx.setXattr(p('cap-bin'), B('user.blob'), Buffer.from([0, 0xff, 0x0a, 0x3d]));
// ACLs: setfacl -m u:1000:r acl.txt; setfacl -d -m u:1000:rx dir/sub.
const acl = (o, u, g, m, x) => { const e = (t, pe, id) => { const b = Buffer.alloc(8); b.writeUInt16LE(t, 0); b.writeUInt16LE(pe, 2); b.writeUInt32LE(id, 4); return b; };
  const h = Buffer.alloc(4); h.writeUInt32LE(2); return Buffer.concat([h, e(1, o, 0xffffffff), e(2, u, 1000), e(4, g, 0xffffffff), e(16, m, 0xffffffff), e(32, x, 0xffffffff)]); };
fs.writeFileSync(p('acl.txt'), 'acl');
fsx.setXattr(p('acl.txt'), B('system.posix_acl_access'), acl(6, 4, 4, 4, 4));
fsx.setXattr(p('dir/sub'), B('system.posix_acl_default'), acl(7, 5, 5, 5, 5));
// setgid and sticky directories, hard links, a newline and invalid UTF-8 in names.
fs.mkdirSync(p('sgid')); fs.chmodSync(p('sgid'), 0o2775);
fs.mkdirSync(p('sticky')); fs.chmodSync(p('sticky'), 0o1777);
fs.writeFileSync(p('sgid/hard1'), 'linked'); fs.linkSync(p('sgid/hard1'), p('hard2'));
fs.writeFileSync(p('new\\nline'), 'nl');
fs.writeFileSync(p(Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe])), 'raw');
// Nanosecond times, deepest first so that directories keep theirs.
const t = [['dir/sub/a.txt', 1700000000, 123456789], ['dir/b.bin', 1700000001, 1], ['sparse.img', 1700000003, 42], ['cap-bin', 1700000004, 999999999],
  ['acl.txt', 1700000005, 5], ['sgid/hard1', 1700000006, 6], ['new\\nline', 1700000007, 7], ['link', 1700000002, 999999998],
  ['dir/sub', 1600000000, 5], ['dir', 1600000001, 700000001], ['sgid', 1600000002, 2], ['sticky', 1600000003, 3]];
fsx.utimens(p(Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe])), 1700000008, 8, false);
for (const [f, s, n] of t) fsx.utimens(p(f), s, n, false);
fsx.utimens(B(root), 1500000000, 123, false);
`;

/** Every entry: type+mode, owner, size, mtime in ns, data segments with their sha256, allocation, xattrs, link target, hard-link group. */
const SNAPSHOT_JS = `${FSX}
const root = B(process.argv[1]);
const out = [];
const inodes = new Map();
function walk(rel) {
  const abs = rel.length ? Buffer.concat([root, B('/'), rel]) : root;
  const st = fs.lstatSync(abs, { bigint: true });
  const e = { path: rel.toString('hex'), mode: st.mode.toString(8), owner: st.uid + ':' + st.gid, mtime: String(st.mtimeNs) };
  if (st.isFile()) {
    e.size = String(st.size);
    const fd = fs.openSync(abs, 'r');
    const segs = [];
    for (let off = 0; off < Number(st.size);) {
      const d = fsx.seekData(fd, off); if (d < 0) break;
      const h = fsx.seekHole(fd, d);
      const buf = Buffer.alloc(h - d); fs.readSync(fd, buf, 0, buf.length, d);
      segs.push(d + '+' + (h - d) + ':' + crypto.createHash('sha256').update(buf).digest('hex'));
      off = h;
    }
    fs.closeSync(fd);
    e.data = segs.join(',');
    e.sparse = st.blocks * 512n < st.size;
    if (st.nlink > 1n) { const k = st.dev + ':' + st.ino; if (!inodes.has(k)) inodes.set(k, e.path); e.linkgroup = inodes.get(k); }
  }
  if (st.isSymbolicLink()) e.target = fs.readlinkSync(abs, { encoding: 'buffer' }).toString('hex');
  e.xattrs = fsx.listXattrs(abs).map((n) => n.toString() + '=' + fsx.getXattr(abs, n).toString('hex')).sort();
  out.push(e);
  if (st.isDirectory()) for (const n of fs.readdirSync(abs, { encoding: 'buffer' }).sort(Buffer.compare)) walk(rel.length ? Buffer.concat([rel, B('/'), n]) : n);
}
walk(Buffer.alloc(0));
process.stdout.write(JSON.stringify(out));
`;

interface Entry {
  path: string;
  mode: string;
  owner: string;
  mtime: string;
  size?: string;
  data?: string;
  sparse?: boolean;
  linkgroup?: string;
  target?: string;
  xattrs: string[];
}

function inBackupImage(mount: string[], js: string, arg: string): string {
  return docker('run', '--rm', '--label', label, ...mount, '--entrypoint', 'node', BACKUP_IMAGE, '-e', js, arg);
}
const snapshotVolume = (vol: string): Entry[] => JSON.parse(inBackupImage(['-v', `${vol}:/v:ro`], SNAPSHOT_JS, '/v')) as Entry[];
const snapshotDir = (dir: string): Entry[] => JSON.parse(inBackupImage(['-v', `${dir}:/v:ro`], SNAPSHOT_JS, '/v')) as Entry[];
const hex = (s: string | Buffer) => Buffer.from(s).toString('hex');

describe('backup fidelity (times, holes, xattrs, ACLs) with a real engine', { timeout: 600_000 }, () => {
  let tmp: string;
  let vol: string;
  let small: string;
  let app: string;
  let smallApp: string;
  let original: Entry[];
  const fresh: string[] = [];

  before(async () => {
    await requireEngine();
    tmp = mkdtempSync(join(tmpdir(), 'ds-fidelity-it-'));
    vol = createVolume('fid');
    small = createVolume('small');
    inBackupImage(['-v', `${vol}:/data`], FIXTURE_JS, '/data');
    app = startFixture('fidapp', ['--init', '-v', `${vol}:/data`, BASE_IMAGE, 'sleep', 'infinity']);
    smallApp = startFixture('smallapp', ['--init', '-v', `${small}:/data`, BASE_IMAGE, 'sh', '-c', 'echo hi > /data/f; exec sleep infinity']);
    original = snapshotVolume(vol);
  });

  after(() => {
    cleanupRun();
    for (const v of fresh) spawnSync('docker', ['volume', 'rm', '-f', v], { stdio: 'ignore' });
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('the fixture has what the test claims', () => {
    const by = new Map(original.map((e) => [e.path, e]));
    assert.equal(by.get(hex('dir/sub/a.txt'))?.mtime, '1700000000123456789');
    assert.equal(by.get(hex('dir'))?.mtime, '1600000001700000001');
    assert.equal(by.get(hex('link'))?.mtime, '1700000002999999998');
    assert.equal(by.get(hex('sparse.img'))?.sparse, true);
    assert.equal(by.get(hex('sparse.img'))?.size, String(9 * 2 ** 30));
    assert.match(by.get(hex('cap-bin'))?.xattrs.join() ?? '', /security\.capability=/);
    assert.match(by.get(hex('acl.txt'))?.xattrs.join() ?? '', /system\.posix_acl_access=/);
    assert.match(by.get(hex('dir/sub'))?.xattrs.join() ?? '', /system\.posix_acl_default=/);
    assert.equal(by.get(hex('cap-bin'))?.mode, '104755');
    assert.equal(by.get(hex('sgid'))?.mode, '42775');
    assert.equal(by.get(hex('sticky'))?.mode, '41777');
    assert.equal(by.get(hex('hard2'))?.linkgroup, by.get(hex('sgid/hard1'))?.linkgroup);
    assert.ok(by.has(hex('new\nline')) && by.has(hex(Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe]))));
  });

  test('a destination that cannot be created fails at once, on one line', async () => {
    const t0 = Date.now();
    // Under /proc (where a recursive mkdir never returns) it is refused before anything is tried.
    const r = await runCli(['backup', smallApp, '--to', '/proc/anything'], { timeoutMs: 20_000 });
    assert.equal(r.signal, null, 'it returned by itself');
    assert.notEqual(r.code, 0);
    assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
    assert.match(r.stderr, /--to \/proc\/anything: a sidecar may not mount it/);
    assert.ok(oneLine(r.stderr), r.stderr);
    // Elsewhere, a directory that cannot be made (its parent is a file) says so.
    writeFileSync(join(tmp, 'a-file'), 'x');
    const r2 = await runCli(['backup', smallApp, '--to', join(tmp, 'a-file', 'sub')], { timeoutMs: 20_000 });
    assert.notEqual(r2.code, 0);
    assert.match(r2.stderr, /cannot create backup directory .*a-file\/sub/);
    assert.ok(oneLine(r2.stderr), r2.stderr);
  });

  test('directory destination: everything comes back into a new volume; the 9 GiB file in about the time of a small one', async () => {
    const dir = join(tmp, 'dir');
    const ts = Date.now();
    const s = await runCli(['backup', smallApp, '--to', dir, '--json']);
    const smallMs = Date.now() - ts;
    assert.equal(s.code, 0, s.stderr);
    const t0 = Date.now();
    const b = await runCli(['backup', app, '--to', dir, '--json']);
    const backupMs = Date.now() - t0;
    assert.equal(b.code, 0, b.stderr);
    const m = JSON.parse(b.stdout);
    assert.ok(m.archives[0].bytes < 5 * 1024 * 1024, `archive is ${m.archives[0].bytes} bytes`);
    assert.ok(backupMs < smallMs + 5000, `backup ${backupMs} ms, a small volume ${smallMs} ms`);

    const into = `dstest-${RUN_ID}-fidinto`;
    fresh.push(into);
    const t1 = Date.now();
    const r = await runCli(['restore', app, '--from', dir, '--id', m.id, '--into-volume', into]);
    const restoreMs = Date.now() - t1;
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /not restored/);
    assert.ok(restoreMs < smallMs + 5000, `restore ${restoreMs} ms`);
    assert.deepEqual(snapshotVolume(into), original);

    // GNU tar reads the same archive: zstd -d | tar -x, with xattrs (and so ACLs and capabilities).
    const out = join(tmp, 'gnu-zstd');
    mkdirSync(out);
    const archive = join(dir, m.id, m.archives[0].file);
    const x = spawnSync('sh', ['-c', `zstd -dc "$1" | tar -x --xattrs --xattrs-include='*' -C "$2"`, 'x', archive, out], { encoding: 'utf8' });
    assert.equal(x.status, 0, x.stderr);
    const gnu = snapshotDir(out);
    assert.deepEqual(gnu, original);
  });

  test('gzip archive extracted with tar -xzf gives the same tree', async () => {
    const dir = join(tmp, 'gz');
    const b = await runCli(['backup', app, '--to', dir, '--compress', 'gzip', '--json']);
    assert.equal(b.code, 0, b.stderr);
    const m = JSON.parse(b.stdout);
    const out = join(tmp, 'gnu-gz');
    mkdirSync(out);
    const x = spawnSync('tar', ['-xzf', join(dir, m.id, m.archives[0].file), '--xattrs', '--xattrs-include=*', '-C', out], { encoding: 'utf8' });
    assert.equal(x.status, 0, x.stderr);
    assert.deepEqual(snapshotDir(out), original);
    assert.ok(readFileSync(join(dir, m.id, m.archives[0].file)).length < 5 * 1024 * 1024);
  });

  test('S3 destination: restored into a new volume, attribute for attribute', async () => {
    let s3: S3Server | undefined;
    try {
      s3 = await startS3();
      const env = { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_PROFILE: '' };
      const args = ['--s3-endpoint', s3.endpoint, '--s3-path-style', '--network', 'host'];
      const target = `s3://${s3.bucket}/fidelity/${RUN_ID}`;
      const b = await runCli(['backup', app, '--to', target, ...args, '--json'], { env });
      assert.equal(b.code, 0, b.stderr);
      const m = JSON.parse(b.stdout);
      const into = `dstest-${RUN_ID}-fids3`;
      fresh.push(into);
      const r = await runCli(['restore', app, '--from', target, ...args, '--id', m.id, '--into-volume', into], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(snapshotVolume(into), original);
    } finally {
      await s3?.close();
    }
  });
});
