/**
 * Modification times to the nanosecond. Written as the PAX `mtime` record ("<sec>.<9 digits>", as
 * GNU tar and bsdtar write it); restored with utimensat/futimens through the native addon, because
 * fs.utimes takes seconds as a double and rounds away everything below about a microsecond.
 * Access times are set to the same value (they are not kept).
 */
import * as fs from 'node:fs';
import type { Fsx } from './fsx.js';

export interface Mtime {
  sec: number;
  nsec: number;
}

const NS = 1_000_000_000n;

export function mtimeOf(st: fs.BigIntStats): Mtime {
  const ns = st.mtimeNs;
  let sec = ns / NS;
  let nsec = ns % NS;
  if (nsec < 0n) {
    nsec += NS;
    sec -= 1n;
  }
  return { sec: Number(sec), nsec: Number(nsec) };
}

/** The PAX mtime record's value, or undefined when whole seconds say it all. */
export function mtimeRecord(t: Mtime): string | undefined {
  if (t.nsec === 0) return undefined;
  return `${t.sec}.${String(t.nsec).padStart(9, '0')}`;
}

/** Parse a PAX mtime value ("1700000000", "1700000000.5", "-1.25"); undefined when malformed. */
export function parseMtime(text: string | undefined): Mtime | undefined {
  if (!text) return undefined;
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(text.trim());
  if (!m) return undefined;
  const frac = (m[3] ?? '').slice(0, 9).padEnd(9, '0');
  let sec = Number(m[2]);
  let nsec = Number(frac);
  if (m[1] === '-') {
    sec = -sec;
    if (nsec) {
      sec -= 1;
      nsec = 1_000_000_000 - nsec;
    }
  }
  return { sec, nsec };
}

export function fromDate(d: Date): Mtime {
  const ms = d.getTime();
  const sec = Math.floor(ms / 1000);
  return { sec, nsec: (ms - sec * 1000) * 1_000_000 };
}

/** Set a path's times; `follow` false acts on a symlink itself. */
export function setTimes(fsx: Fsx | null, path: Buffer, t: Mtime, follow: boolean): void {
  if (fsx) return fsx.utimens(path, t.sec, t.nsec, follow);
  const d = t.sec + t.nsec / 1e9;
  if (follow) fs.utimesSync(path, d, d);
  else fs.lutimesSync(path, d, d);
}

export function setFdTimes(fsx: Fsx | null, fd: number, t: Mtime): void {
  if (fsx) return fsx.futimens(fd, t.sec, t.nsec);
  const d = t.sec + t.nsec / 1e9;
  fs.futimesSync(fd, d, d);
}
