/**
 * Create a backup directory one level at a time with plain stat/mkdir calls. Node's
 * `mkdir(path, { recursive: true })` never returns for some paths (under /proc it loops on a
 * busy core), so a destination that cannot be created must fail here, at once, on one line.
 */
import { mkdir, stat } from 'node:fs/promises';
import { sep } from 'node:path';
import { UserError } from '@dockside/common';

const HINT = 'pick a directory you can create, or create it first';

export async function createDirectory(path: string): Promise<void> {
  const parts = path.split(sep).filter(Boolean);
  let cur = '';
  for (const part of parts) {
    cur += `${sep}${part}`;
    const st = await stat(cur).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw new UserError(`cannot create backup directory ${path}: ${err.code ?? String(err)} at ${cur}`, { hint: HINT });
    });
    if (st) {
      if (!st.isDirectory()) throw new UserError(`cannot create backup directory ${path}: ${cur} is not a directory`, { hint: HINT });
      continue;
    }
    try {
      // Only its owner (root, or who runs dockside) may read what lands in a new destination.
      await mkdir(cur, { mode: 0o700 });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      throw new UserError(`cannot create backup directory ${path}: ${code ?? String(err)} at ${cur}`, { hint: HINT });
    }
  }
}
