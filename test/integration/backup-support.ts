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
  close(): Promise<void>;
}

/**
 * s3rver on 127.0.0.1 (random port) with one bucket and a key pair made for this run (so that a
 * leak of the secret is detectable). s3rver lacks AbortMultipartUpload; a small middleware adds it
 * (it deletes the upload's parts from s3rver's store, as S3 does) so cleanup of cut-off uploads
 * can be observed.
 */
export async function startS3(): Promise<S3Server> {
  const { default: S3rver } = await import('s3rver');
  const { readdirSync, existsSync } = await import('node:fs');
  const account = (await import('s3rver/lib/models/account.js' as string)) as { default: { DUMMY_ACCOUNT: { createKeyPair(a: string, b: string): void } } };
  const accessKeyId = `DSKEY${randomBytes(6).toString('hex').toUpperCase()}`;
  const secretAccessKey = `ds-secret-${randomBytes(12).toString('hex')}`;
  account.default.DUMMY_ACCOUNT.createKeyPair(accessKeyId, secretAccessKey);
  const directory = mkdtempSync(join(tmpdir(), 'ds-s3rver-'));
  const bucket = 'dockside-test';
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] }) as unknown as {
    middleware: Array<(ctx: Record<string, unknown>, next: () => Promise<void>) => Promise<void>>;
    store: { getResourcePath(b: string, k: string | undefined, r: string): string };
    run(): Promise<{ port: number }>;
    close(): Promise<void>;
  };
  const uploadsDir = () => server.store.getResourcePath(bucket, undefined, 'uploads');
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
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    accessKeyId,
    secretAccessKey,
    directory,
    openUploads: () => (existsSync(uploadsDir()) ? readdirSync(uploadsDir()) : []),
    close: async () => {
      await server.close().catch(() => undefined);
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
