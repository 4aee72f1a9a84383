/**
 * What the backup integration tests share: a snapshot of a volume taken from inside a container
 * (every entry: type, mode, owner, mtime, size, sha256, link target, hard-link group; names as hex
 * so that non-UTF-8 names compare exactly), a fixture tree with every file kind, and an s3rver.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IMAGE_TAG, docker } from '../support/engine.js';

export const BASE_IMAGE = `dockside/base:${IMAGE_TAG}`;

const SNAPSHOT_JS = `
const fs = require('fs'), crypto = require('crypto');
const root = process.argv[1];
const out = [];
const inodes = new Map();
function walk(rel) {
  const abs = Buffer.concat([Buffer.from(root), rel.length ? Buffer.from('/') : Buffer.alloc(0), rel]);
  const st = fs.lstatSync(abs);
  const e = { path: rel.toString('hex'), mode: (st.mode & 0o177777).toString(8), uid: st.uid, gid: st.gid };
  if (!st.isSymbolicLink()) e.mtime = Math.floor(st.mtimeMs / 1000);
  if (st.isFile()) {
    e.size = st.size;
    e.sha = crypto.createHash('sha256').update(fs.readFileSync(abs)).digest('hex');
    if (st.nlink > 1) {
      const k = st.dev + ':' + st.ino;
      if (!inodes.has(k)) inodes.set(k, rel.toString('hex'));
      e.linkgroup = inodes.get(k);
    }
  }
  if (st.isSymbolicLink()) e.target = fs.readlinkSync(abs, { encoding: 'buffer' }).toString('hex');
  out.push(e);
  if (st.isDirectory()) for (const n of fs.readdirSync(abs, { encoding: 'buffer' }).sort(Buffer.compare)) walk(rel.length ? Buffer.concat([rel, Buffer.from('/'), n]) : n);
}
walk(Buffer.alloc(0));
process.stdout.write(JSON.stringify(out));
`;

export interface Entry {
  path: string;
  mode: string;
  uid: number;
  gid: number;
  mtime?: number;
  size?: number;
  sha?: string;
  linkgroup?: string;
  target?: string;
}

/** Every entry of a volume (or of `sub` inside it), read in a throwaway container. */
export function snapshotVolume(volume: string, runLabel: string): Entry[] {
  const out = docker('run', '--rm', '--label', runLabel, '-v', `${volume}:/v:ro`, BASE_IMAGE, 'node', '-e', SNAPSHOT_JS, '/v');
  return JSON.parse(out) as Entry[];
}

export const hex = (s: string | Buffer) => Buffer.from(s).toString('hex');

/**
 * A tree with every kind tar must carry (and two it cannot): regular and empty files, a 5 MB
 * random file, empty directories, setuid/setgid/sticky modes, mode 000, other owners, symlinks
 * (dangling too), hard links, names over 100 bytes, names and link targets that are not UTF-8,
 * old mtimes, a FIFO, a character device and a socket (which tar cannot carry).
 */
export const FIXTURE_SCRIPT = `
set -e
cd "$1"
mkdir -p dir/sub empty 'with space' sgid sticky
printf 'hello\\n' > dir/small.txt
: > emptyfile
head -c 5000000 /dev/urandom > big.bin
i=0; while [ $i -lt 200 ]; do echo "line $i of a compressible text file" >> text.txt; i=$((i+1)); done
ln dir/small.txt hard
ln -s dir/small.txt link
ln -s /nonexistent/target dangling
chmod 4755 dir/small.txt
chmod 2775 sgid
chmod 1777 sticky
echo secret > mode000 && chmod 000 mode000
chown 1001:1002 dir/sub
chown -h 1003:1004 link
chown 65534:65534 'with space'
L=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
mkdir -p "deep/$L"
echo long > "deep/$L/$L.txt"
echo raw > "$(printf 'bad-\\377\\376.txt')"
ln -s "$(printf 'target-\\377')" rawlink
touch -d '2001-02-03 04:05:06' dir/small.txt
touch -h -d '2002-03-04 05:06:07' link
touch -d '2003-04-05 06:07:08' dir/sub
mkfifo fifo
mknod chardev c 1 3
chown 7:8 chardev
node -e "require('net').createServer().listen(process.argv[1], () => process.exit(0))" "$1/sock"
`;

/** Node in the backup image, with its native addon (xattrs, utimensat, SEEK_DATA) at hand. */
const FSX = "const fsx = require('/opt/dockside/fsx.node'), fs = require('fs'), crypto = require('crypto'); const B = (s) => Buffer.from(s);";

/**
 * The fidelity fixture: nanosecond times on files, directories and symlinks, a sparse file (9 GiB
 * with 3 bytes of data, or argv[2] bytes), security.capability and ACLs, setuid/setgid/sticky,
 * hard links, names with a newline and invalid UTF-8. Run with FIDELITY_SNAPSHOT_JS's image.
 */
export const FIDELITY_FIXTURE_JS = `${FSX}
const root = process.argv[1];
const SPARSE = Number(process.argv[2] || 9 * 2 ** 30);
const p = (s) => Buffer.concat([B(root + '/'), Buffer.isBuffer(s) ? s : B(s)]);
fs.mkdirSync(p('dir/sub'), { recursive: true });
fs.writeFileSync(p('dir/sub/a.txt'), 'a');
fs.writeFileSync(p('dir/b.bin'), crypto.randomBytes(3 * 1024 * 1024));
fs.symlinkSync('dir/b.bin', p('link'));
// 9 GiB, 3 bytes of data at 5 GiB.
let fd = fs.openSync(p('sparse.img'), 'w'); fs.ftruncateSync(fd, SPARSE); fs.writeSync(fd, B('abc'), 0, 3, Math.floor(SPARSE / 9) * 5); fs.closeSync(fd);
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
export const FIDELITY_SNAPSHOT_JS = `${FSX}
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

export interface FidelityEntry {
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

/** Node in the backup image (its fsx addon at hand), `js` run with `arg`, the run's label on the container. */
export function runInBackupImage(label: string, mount: string[], js: string, arg: string, ...more: string[]): string {
  return docker('run', '--rm', '--label', label, ...mount, '--entrypoint', 'node', `dockside/backup:${IMAGE_TAG}`, '-e', js, arg, ...more);
}

export function fill(container: string, path: string): void {
  docker('exec', container, 'sh', '-c', FIXTURE_SCRIPT, 'fixture', path);
}

/** Drop what tar cannot carry (sockets) from a snapshot. FIFOs and devices it carries. */
export function withoutSpecial(entries: Entry[]): Entry[] {
  return entries.filter((e) => e.path !== hex('sock'));
}

export function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

export interface S3Server {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  directory: string;
  /** Upload ids s3rver still holds (unfinished multipart uploads). */
  openUploads(): string[];
  /** Stop answering (the server goes away, its data stays), and come back on the same port. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

/**
 * s3rver on 127.0.0.1 (random port) with one bucket and a key pair made for this run (so that a
 * leak of the secret is detectable). s3rver lacks AbortMultipartUpload; a small middleware adds it
 * (it deletes the upload's parts from s3rver's store, as S3 does) so cleanup of cut-off uploads
 * can be observed.
 */
export async function startS3(): Promise<S3Server> {
  // s3rver ships no types: what is used of it is typed at its use.
  const { default: S3rver } = (await import('s3rver' as string)) as { default: new (o: Record<string, unknown>) => unknown };
  const { readdirSync, existsSync } = await import('node:fs');
  const account = (await import('s3rver/lib/models/account.js' as string)) as { default: { DUMMY_ACCOUNT: { createKeyPair(a: string, b: string): void } } };
  const accessKeyId = `DSKEY${randomBytes(6).toString('hex').toUpperCase()}`;
  const secretAccessKey = `ds-secret-${randomBytes(12).toString('hex')}`;
  account.default.DUMMY_ACCOUNT.createKeyPair(accessKeyId, secretAccessKey);
  const directory = mkdtempSync(join(tmpdir(), 'ds-s3rver-'));
  const bucket = 'dockside-test';
  type Server = {
    middleware: Array<(ctx: Record<string, unknown>, next: () => Promise<void>) => Promise<void>>;
    store: { getResourcePath(b: string, k: string | undefined, r: string): string };
    run(): Promise<{ port: number }>;
    close(): Promise<void>;
  };
  const make = (port: number): Server => {
    const server = new S3rver({ address: '127.0.0.1', port, silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] }) as unknown as Server;
    server.middleware.unshift(async (ctx, next) => {
      const query = ctx['query'] as Record<string, string>;
      if (ctx['method'] === 'DELETE' && query['uploadId'] && /^[0-9a-f]+$/.test(query['uploadId'])) {
        const dir = join(uploadsDir(), query['uploadId']);
        if (!existsSync(dir)) {
          ctx['status'] = 404;
          ctx['body'] = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchUpload</Code><Message>no such upload</Message></Error>';
          return;
        }
        rmSync(dir, { recursive: true, force: true });
        ctx['status'] = 204;
        return;
      }
      await next();
    });
    return server;
  };
  let server = make(0);
  const uploadsDir = () => server.store.getResourcePath(bucket, undefined, 'uploads');
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    accessKeyId,
    secretAccessKey,
    directory,
    openUploads: () => (existsSync(uploadsDir()) ? readdirSync(uploadsDir()) : []),
    down: async () => {
      await server.close().catch(() => undefined);
    },
    up: async () => {
      server = make(port);
      await server.run();
    },
    close: async () => {
      await server.close().catch(() => undefined);
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
