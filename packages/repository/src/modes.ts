/**
 * Go's os.FileMode, which restic stores as a node's `mode`: the permission bits, then type and
 * special bits high up (not POSIX's S_IFMT / S_ISUID layout).
 */
export const GO = {
  dir: 2 ** 31,
  symlink: 2 ** 27,
  device: 2 ** 26,
  namedPipe: 2 ** 25,
  socket: 2 ** 24,
  setuid: 2 ** 23,
  setgid: 2 ** 22,
  charDevice: 2 ** 21,
  sticky: 2 ** 20,
} as const;

const S_IFMT = 0o170000;
export const S = { sock: 0o140000, lnk: 0o120000, reg: 0o100000, blk: 0o060000, dir: 0o040000, chr: 0o020000, fifo: 0o010000 } as const;

/** POSIX st_mode -> Go FileMode (as Go's os.Lstat computes it). */
export function goMode(st: number): number {
  let m = st & 0o777;
  switch (st & S_IFMT) {
    case S.dir:
      m += GO.dir;
      break;
    case S.lnk:
      m += GO.symlink;
      break;
    case S.blk:
      m += GO.device;
      break;
    case S.chr:
      m += GO.device + GO.charDevice;
      break;
    case S.fifo:
      m += GO.namedPipe;
      break;
    case S.sock:
      m += GO.socket;
      break;
  }
  if (st & 0o4000) m += GO.setuid;
  if (st & 0o2000) m += GO.setgid;
  if (st & 0o1000) m += GO.sticky;
  return m;
}

/** Go FileMode -> the POSIX permission bits to chmod (with setuid/setgid/sticky). */
export function posixPerm(goM: number): number {
  let m = goM & 0o777;
  // FileMode is a uint32; bit tests via division keep it exact in doubles.
  const has = (bit: number) => Math.floor(goM / bit) % 2 === 1;
  if (has(GO.setuid)) m |= 0o4000;
  if (has(GO.setgid)) m |= 0o2000;
  if (has(GO.sticky)) m |= 0o1000;
  return m;
}
