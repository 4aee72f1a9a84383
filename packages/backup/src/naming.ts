/** Names a human can find: backup ids, archive file names. Pure. */
import { randomBytes } from 'node:crypto';
import type { Compression } from './model.js';
import { extensionFor } from './model.js';

/**
 * `app-20261121T233800Z-1f2e3d` (the container name, the UTC start time, then a random suffix):
 * two backups started in the same second never share an id. `unique` is the suffix (hex).
 */
export function backupId(container: string, at: Date, unique = randomBytes(3).toString('hex')): string {
  const stamp = at
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '');
  return `${safeName(container)}-${stamp}-${unique}`;
}

/** Ids of earlier versions had no suffix; both are backup ids. */
const ID_RE = /^(.+)-(\d{8}T\d{6}Z)(?:-[0-9a-f]{6,16})?$/;

export function isBackupId(id: string): boolean {
  return ID_RE.test(id) && !/[/\\]/.test(id);
}

/** Keep [A-Za-z0-9._-], replace the rest with `_`; never empty, never starting with a dot. */
export function safeName(s: string): string {
  const out = s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '');
  return out || 'root';
}

export function volumeArchiveName(kind: 'volume' | 'bind', name: string, destination: string, c: Compression): string {
  const base = kind === 'volume' ? `vol-${safeName(name)}` : `bind-${safeName(destination)}`;
  return `${base}.tar${extensionFor(c)}`;
}

export function dumpArchiveName(file: string, c: Compression): string {
  return `dump-${safeName(file)}${extensionFor(c)}`;
}

/** Make archive names unique within one backup (two volumes may sanitise to the same name). */
export function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const count = seen.get(n) ?? 0;
    seen.set(n, count + 1);
    if (count === 0) return n;
    const dot = n.indexOf('.tar');
    const cut = dot >= 0 ? dot : n.indexOf('.') >= 0 ? n.indexOf('.') : n.length;
    return `${n.slice(0, cut)}-${count + 1}${n.slice(cut)}`;
  });
}
