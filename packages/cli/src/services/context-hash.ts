/** A content hash of a build context, so that `images build` skips images that are current. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join, relative } from 'node:path';

export async function hashDirectory(dir: string, extra: string[] = []): Promise<string> {
  const h = createHash('sha256');
  for (const e of extra) h.update(`extra:${e}\0`);
  const walk = async (abs: string): Promise<void> => {
    const names = (await readdir(abs)).sort();
    for (const n of names) {
      const p = join(abs, n);
      const st = await lstat(p);
      const rel = relative(dir, p);
      h.update(`${rel}\0${st.mode & 0o7777}\0`);
      if (st.isDirectory()) await walk(p);
      else if (st.isSymbolicLink()) h.update(`link:${await readlink(p)}\0`);
      else if (st.isFile()) {
        await new Promise<void>((resolve, reject) => {
          const s = createReadStream(p);
          s.on('data', (c) => h.update(c));
          s.on('error', reject);
          s.on('end', resolve);
        });
      }
    }
  };
  await walk(dir);
  return h.digest('hex').slice(0, 16);
}
