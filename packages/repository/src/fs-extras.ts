import { readFileSync } from 'node:fs';

/**
 * The file-system calls Node.js lacks (the backup sidecar's fsx addon provides them): SEEK_DATA /
 * SEEK_HOLE for sparse files, xattrs, and utimensat with nanoseconds. The library takes them as an
 * injected object, so it stays pure; without it there are no xattrs, holes are read as data and
 * times are set through fs.lutimes (microseconds).
 */
export interface FsExtras {
  /** Offset of the next data at or after `offset`, or -1 when only a hole follows. */
  seekData(fd: number, offset: number): number;
  seekHole(fd: number, offset: number): number;
  /** Set atime and mtime (both to sec.nsec); `follow` false acts on a symlink itself. */
  utimens(path: Buffer, sec: number, nsec: number, follow: boolean): void;
  listXattrs(path: Buffer): Buffer[];
  getXattr(path: Buffer, name: Buffer): Buffer;
  setXattr(path: Buffer, name: Buffer, value: Buffer): void;
}

/** Users and groups by id, from passwd/group files (what Go's os/user reads without cgo). */
export interface Names {
  user(uid: number): string;
  group(gid: number): string;
}

export function parseIdFile(text: string): Map<number, string> {
  const m = new Map<number, string>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || line.startsWith('#')) continue;
    const id = Number(f[2]);
    if (Number.isInteger(id) && !m.has(id)) m.set(id, f[0] as string);
  }
  return m;
}

/** This machine's users and groups (/etc/passwd, /etc/group); empty names when they are unreadable. */
export function systemNames(): Names {
  const read = (p: string) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return '';
    }
  };
  return namesFrom(read('/etc/passwd'), read('/etc/group'));
}

export function namesFrom(passwd: string, group: string): Names {
  const u = parseIdFile(passwd);
  const g = parseIdFile(group);
  return { user: (id) => u.get(id) ?? '', group: (id) => g.get(id) ?? '' };
}
