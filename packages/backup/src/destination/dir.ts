/** Backups in a directory: `<root>/<id>/<file>`; files being written end in `.partial`. */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, openSync } from 'node:fs';
import { chown, link, mkdir, open, readFile, readdir, rename, rm, stat, unlink, access, constants as FS } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BugError, UserError } from '@dockside/common';
import { isBackupId } from '../naming.js';
import type { Destination, StoredFile } from './destination.js';

function fsError(err: unknown, doing: string, path: string): Error {
  if (err instanceof UserError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM')
    return new UserError(`cannot ${doing} ${path}: permission denied`, { hint: 'make the directory writable by root (chown root or chmod u+w), or pick another --to', cause: err });
  if (code === 'EROFS') return new UserError(`cannot ${doing} ${path}: read-only file system`, { hint: 'pick a destination on a writable file system', cause: err });
  if (code === 'ENOSPC')
    return new UserError(`cannot ${doing} ${path}: no space left on device`, {
      hint: 'free space there (`dockside backup prune` removes old backups), or pick another destination',
      cause: err,
    });
  if (code === 'ENOTDIR') return new UserError(`cannot ${doing} ${path}: not a directory`, { hint: 'give a directory as --to/--from', cause: err });
  if (code === 'ENOENT')
    return new UserError(`cannot ${doing} ${path}: no such file or directory`, { hint: 'it went away during the run: check the destination and run again', cause: err });
  return err instanceof Error ? err : new BugError(String(err), { cause: err });
}

/**
 * Modes of what a backup writes: its folder 0750 and its files 0640 (never what the umask leaves:
 * the sidecar runs with umask 0), owned by the owner and group of the destination directory, so
 * that only they (and root) can read a backup, and no one else can replace an archive.
 */
export const BACKUP_DIR_MODE = 0o750;
export const BACKUP_FILE_MODE = 0o640;

export class DirDestination implements Destination {
  readonly description: string;
  readonly stable = true;
  /** One descriptor per archive read, so that every read sees the same file (see `stable`). */
  private readonly fds = new Map<string, number>();
  private owner: Promise<{ uid: number; gid: number }> | undefined;
  constructor(private readonly root: string) {
    this.description = root;
  }

  /** The destination's owner, whom every folder and file written gets. */
  private ownerOf(): Promise<{ uid: number; gid: number }> {
    this.owner ??= stat(this.root).then((s) => ({ uid: s.uid, gid: s.gid }));
    return this.owner;
  }

  /** A backup's folder, 0750 and owned like the destination. */
  private async folder(id: string): Promise<string> {
    const dir = join(this.root, id);
    let made = false;
    try {
      await mkdir(dir, { mode: BACKUP_DIR_MODE });
      made = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (made) await this.own(dir);
    return dir;
  }

  private async own(path: string): Promise<void> {
    const o = await this.ownerOf();
    if (o.uid !== process.getuid?.() || o.gid !== process.getgid?.()) await chown(path, o.uid, o.gid);
  }

  async checkWritable(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true });
      // Unique across sidecars: each has its own PID namespace, so two started together share a pid
      // (one unlinked the other's probe, which then failed with ENOENT).
      const probe = join(this.root, `.dockside-write-test-${randomBytes(6).toString('hex')}`);
      const fh = await open(probe, 'wx');
      await fh.close();
      await unlink(probe);
    } catch (err) {
      throw fsError(err, 'write to backup directory', this.root);
    }
  }

  async checkReadable(): Promise<void> {
    try {
      const s = await stat(this.root);
      if (!s.isDirectory()) throw fsError({ code: 'ENOTDIR' }, 'read backup directory', this.root);
      await access(this.root, FS.R_OK | FS.X_OK);
    } catch (err) {
      throw fsError(err, 'read backup directory', this.root);
    }
  }

  async listIds(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.root);
    } catch (err) {
      throw fsError(err, 'read backup directory', this.root);
    }
    return names.filter(isBackupId).sort();
  }

  async read(id: string, name: string): Promise<Buffer | undefined> {
    try {
      return await readFile(join(this.root, id, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw fsError(err, 'read', join(this.root, id, name));
    }
  }

  async write(id: string, name: string, data: Buffer): Promise<void> {
    const dir = join(this.root, id);
    const tmp = join(dir, `${name}.partial`);
    try {
      await this.folder(id);
      await this.writeSynced(tmp, data, 'w');
      await rename(tmp, join(dir, name));
    } catch (err) {
      throw fsError(err, 'write', tmp);
    }
  }

  /** `data` into a new file of ours (owned like the destination), on disk before it is named. */
  private async writeSynced(path: string, data: Buffer, flags: 'w' | 'wx'): Promise<void> {
    const fh = await open(path, flags, BACKUP_FILE_MODE);
    try {
      await this.own(path);
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  async create(id: string): Promise<void> {
    const dir = join(this.root, id);
    try {
      await mkdir(dir, { mode: BACKUP_DIR_MODE });
      await this.own(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST')
        throw new UserError(`backup ${id} already exists in ${this.root}`, { hint: 'run the backup again (it picks a new id)', cause: err });
      throw fsError(err, 'create', dir);
    }
  }

  async writeExclusive(id: string, name: string, data: Buffer): Promise<boolean> {
    const dir = join(this.root, id);
    const tmp = join(dir, `${name}.${process.pid}.${Date.now()}.partial`);
    try {
      await this.folder(id);
      await this.writeSynced(tmp, data, 'wx');
      try {
        await link(tmp, join(dir, name));
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw err;
      }
    } catch (err) {
      throw fsError(err, 'write', join(dir, name));
    } finally {
      await rm(tmp, { force: true }).catch(() => undefined);
    }
  }

  async writeStream(id: string, name: string, body: Readable): Promise<void> {
    const dir = join(this.root, id);
    const tmp = join(dir, `${name}.partial`);
    try {
      await this.folder(id);
    } catch (err) {
      throw fsError(err, 'create', dir);
    }
    const out = createWriteStream(tmp, { mode: BACKUP_FILE_MODE, highWaterMark: 1 << 20 });
    try {
      await pipeline(body, out);
      await this.own(tmp);
      const fh = await open(tmp, 'r');
      await fh.sync().finally(() => fh.close());
      await rename(tmp, join(dir, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code) throw fsError(err, 'write', tmp);
      throw err;
    }
  }

  async readStream(id: string, name: string): Promise<Readable> {
    const path = join(this.root, id, name);
    let fd = this.fds.get(path);
    if (fd === undefined) {
      try {
        fd = openSync(path, 'r');
      } catch (err) {
        throw fsError(err, 'read', path);
      }
      this.fds.set(path, fd);
    }
    return createReadStream(path, { fd, start: 0, autoClose: false, highWaterMark: 4 << 20 });
  }

  async files(id: string): Promise<StoredFile[]> {
    const dir = join(this.root, id);
    const names = await readdir(dir).catch(() => [] as string[]);
    const out: StoredFile[] = [];
    for (const name of names) {
      const s = await stat(join(dir, name)).catch(() => undefined);
      if (s?.isFile()) out.push({ name, size: s.size });
    }
    return out;
  }

  async removeFile(id: string, name: string): Promise<void> {
    await rm(join(this.root, id, name), { force: true });
  }

  async removeBackup(id: string): Promise<void> {
    if (!isBackupId(id)) throw new BugError(`refusing to remove "${id}": not a backup id`);
    try {
      await rm(join(this.root, id), { recursive: true, force: true });
    } catch (err) {
      throw fsError(err, 'remove', join(this.root, id));
    }
  }
}
