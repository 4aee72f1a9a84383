/**
 * Extended attributes (user.*, security.* including capabilities, trusted.* where readable) and
 * POSIX ACLs (system.posix_acl_access/default, which are xattrs) as PAX SCHILY.xattr.<name>
 * records with the raw value bytes, as GNU tar (--xattrs) and bsdtar write them. Restored after
 * chown/chmod (chown clears security.capability); each one that cannot be set is reported.
 */
import type { TarHeader } from '../model.js';
import type { Fsx } from './fsx.js';
import { rawPax } from './pax.js';

const PREFIX = 'SCHILY.xattr.';

/** The xattr records of a path (not following symlinks); reports what it cannot read. */
export function readXattrs(fsx: Fsx | null, path: Buffer, report: (m: string) => void): Record<string, Buffer> | undefined {
  if (!fsx) return undefined;
  let names: Buffer[];
  try {
    names = fsx.listXattrs(path);
  } catch (err) {
    report(`cannot list xattrs (${(err as NodeJS.ErrnoException).code})`);
    return undefined;
  }
  if (names.length === 0) return undefined;
  const out: Record<string, Buffer> = {};
  for (const n of names) {
    try {
      out[`${PREFIX}${n.toString('utf8')}`] = fsx.getXattr(path, n);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENODATA') report(`xattr ${n.toString()} not archived (${code})`);
    }
  }
  return out;
}

/** The raw xattr records of an entry, by attribute name. */
export function xattrsOf(h: TarHeader): Array<[Buffer, Buffer]> {
  const out: Array<[Buffer, Buffer]> = [];
  for (const [k, v] of rawPax(h)) if (k.startsWith(PREFIX)) out.push([Buffer.from(k.slice(PREFIX.length), 'utf8'), v]);
  return out;
}

/** Set the xattrs on a path; returns one message per attribute that could not be set. */
export function applyXattrs(fsx: Fsx | null, path: Buffer, attrs: Array<[Buffer, Buffer]>): string[] {
  if (attrs.length === 0) return [];
  if (!fsx) return attrs.map(([n]) => `xattr ${n.toString()} not restored (the native addon is missing)`);
  const failed: string[] = [];
  for (const [n, v] of attrs) {
    try {
      fsx.setXattr(path, n, v);
    } catch (err) {
      failed.push(`xattr ${n.toString()} not restored (${(err as NodeJS.ErrnoException).code})`);
    }
  }
  return failed;
}
