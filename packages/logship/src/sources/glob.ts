/**
 * Globs for log files (`/srv/data/logs/*.log`, `/var/log/**\/app-?.log`): absolute, `*`, `?`, `**`,
 * matched only inside the target's volumes (the destinations of its mounts, which the sidecar
 * joins): `.` and `..` are resolved before matching, and a file whose real path (symbolic links
 * followed) leaves every volume is not a match. The sidecar's own files are never read.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { UsageError } from '@dockside/common';

export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function checkGlob(glob: string): void {
  if (!glob.startsWith('/')) throw new UsageError(`--files "${glob}" must be an absolute path inside the container (e.g. /var/log/app/*.log)`);
}

/** `.`, `..` and repeated slashes resolved (`/var/log/app/../../../etc/passwd` is `/etc/passwd`). */
export function normalizeGlob(glob: string): string {
  return posix.normalize(glob).replace(/(.)\/$/, '$1');
}

/** `path` is `root` or lies under it (both normalized, absolute). */
export function isUnder(path: string, root: string): boolean {
  return root === '/' || path === root || path.startsWith(`${root}/`);
}

/** Where to walk for a glob in these volumes: its static root inside a volume, or volumes under it. */
export function walkRoots(glob: string, volumes: string[]): string[] {
  const g = normalizeGlob(glob);
  const head = staticRoot(g);
  const roots = volumes.map(normalizeGlob);
  const inside = roots.find((r) => isUnder(head, r));
  if (inside) return [head];
  return roots.filter((r) => isUnder(r, head)).sort();
}

/** Refused at start when no volume of the target could hold a file the glob matches. */
export function checkGlobInVolumes(glob: string, volumes: string[], target: string): void {
  if (walkRoots(glob, volumes).length) return;
  throw new UsageError(`no file matches ${glob} in the container's volumes`, {
    hint: volumes.length
      ? `${target}'s volumes are at ${volumes.join(', ')}: give a path under one of them`
      : `${target} has no volumes: only files in its volumes (mounts) can be read`,
  });
}

/** The directory before the first wildcard. */
function staticRoot(glob: string): string {
  const i = glob.search(/[*?]/);
  const head = i < 0 ? glob : glob.slice(0, i);
  return head.slice(0, head.lastIndexOf('/')) || '/';
}

/** Regular files matching the glob inside the volumes (bounded walk), their real paths inside them too. */
export async function expandGlob(glob: string, volumes: string[], maxEntries = 10_000): Promise<string[]> {
  const g = normalizeGlob(glob);
  const realVolumes = await Promise.all(volumes.map((v) => realpath(normalizeGlob(v)).catch(() => undefined)));
  const real = realVolumes.filter((v): v is string => Boolean(v));
  const contained = async (p: string): Promise<boolean> => {
    const r = await realpath(p).catch(() => undefined);
    return r !== undefined && real.some((v) => isUnder(r, v));
  };
  const roots = walkRoots(g, volumes);
  if (!roots.length) return [];
  if (!/[*?]/.test(g))
    return (await stat(g).then(
      (s) => s.isFile(),
      () => false,
    )) && (await contained(g))
      ? [g]
      : [];
  const re = globToRegExp(g);
  const out: string[] = [];
  let seen = 0;
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > 8 || seen > maxEntries) return;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      seen++;
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p, depth + 1);
      else if (
        (e.isFile() || e.isSymbolicLink()) &&
        re.test(p) &&
        (await stat(p).then(
          (s) => s.isFile(),
          () => false,
        )) &&
        (await contained(p))
      )
        out.push(p);
    }
  };
  for (const r of roots) await walk(r, 0);
  return [...new Set(out)].sort();
}
