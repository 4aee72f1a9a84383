/**
 * A repository in a local directory. Writes go to a temporary file in the same directory, are
 * fsynced, renamed into place and the directory fsynced: a crash never leaves a file that looks
 * complete but is not (restic itself would take a half-written pack for a corrupt one).
 */
import { randomBytes } from 'node:crypto';
import { constants as C, promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { BugError } from '@dockside/common';
import { type Backend, type FileInfo, type FileType, layoutDir, layoutPath } from './backend.js';
import { CorruptRepositoryError } from './errors.js';

export class DirBackend implements Backend {
  constructor(readonly location: string) {}

  private path(type: FileType, name: string): string {
    if (type !== 'config' && !/^[0-9a-f]{64}$/.test(name)) throw new BugError(`bad repository file name: ${name}`);
    return join(this.location, layoutPath(type, name));
  }

  async save(type: FileType, name: string, data: Uint8Array): Promise<void> {
    const final = this.path(type, name);
    const dir = dirname(final);
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const tmp = join(dir, `.tmp-${randomBytes(8).toString('hex')}`);
    const fh = await fs.open(tmp, C.O_WRONLY | C.O_CREAT | C.O_EXCL, 0o600);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } catch (err) {
      await fh.close();
      await fs.rm(tmp, { force: true });
      throw err;
    }
    await fh.close();
    try {
      await fs.rename(tmp, final);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
    const d = await fs.open(dir, C.O_RDONLY | C.O_DIRECTORY);
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  }

  async load(type: FileType, name: string, offset = 0, length?: number): Promise<Buffer> {
    const p = this.path(type, name);
    if (offset === 0 && length === undefined) return fs.readFile(p);
    const fh = await fs.open(p, 'r');
    try {
      const n = length ?? (await fh.stat()).size - offset;
      const buf = Buffer.allocUnsafe(n);
      let got = 0;
      while (got < n) {
        const { bytesRead } = await fh.read(buf, got, n - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      if (got < n) throw new CorruptRepositoryError(`${layoutPath(type, name)}: truncated (wanted ${n} bytes at ${offset}, the file ends after ${got})`);
      return buf;
    } finally {
      await fh.close();
    }
  }

  async stat(type: FileType, name: string): Promise<number | undefined> {
    try {
      return (await fs.stat(this.path(type, name))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async list(type: FileType): Promise<FileInfo[]> {
    if (type === 'config') {
      const s = await this.stat('config', 'config');
      return s === undefined ? [] : [{ name: 'config', size: s }];
    }
    const base = join(this.location, layoutDir(type));
    const dirs = type === 'data' ? await readdirOrEmpty(base).then((ds) => ds.filter((d) => /^[0-9a-f]{2}$/.test(d)).map((d) => join(base, d))) : [base];
    const out: FileInfo[] = [];
    for (const d of dirs) {
      for (const name of await readdirOrEmpty(d)) {
        if (!/^[0-9a-f]{64}$/.test(name)) continue; // temporary files and strays
        const st = await fs.stat(join(d, name));
        out.push({ name, size: st.size });
      }
    }
    return out;
  }

  async remove(type: FileType, name: string): Promise<void> {
    await fs.rm(this.path(type, name), { force: true });
  }
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
