/** Globs for log files (`/srv/data/logs/*.log`, `/var/log/**\/app-?.log`): absolute, `*`, `?`, `**`. */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
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

/** The directory before the first wildcard. */
function staticRoot(glob: string): string {
  const i = glob.search(/[*?]/);
  const head = i < 0 ? glob : glob.slice(0, i);
  return head.slice(0, head.lastIndexOf('/')) || '/';
}

/** Regular files matching the glob (bounded walk). */
export async function expandGlob(glob: string, maxEntries = 10_000): Promise<string[]> {
  if (!/[*?]/.test(glob)) return (await stat(glob).then((s) => s.isFile(), () => false)) ? [glob] : [];
  const re = globToRegExp(glob);
  const out: string[] = [];
  let seen = 0;
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > 8 || seen > maxEntries) return;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      seen++;
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p, depth + 1);
      else if (e.isFile() && re.test(p)) out.push(p);
    }
  };
  await walk(staticRoot(glob), 0);
  return out.sort();
}
