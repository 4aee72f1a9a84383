/**
 * Where a bind source really leads, seen from the api-proxy. The engine mounts a bind at start by
 * following every symlink in its path on the host, so a source inside an allowed directory may
 * lead anywhere if a writer into that directory planted a link. The proxy has each allowed
 * directory bind-mounted read-only at the same path (the engine's api-proxy start does that), so
 * inside those directories its view is the host's: it walks the path one component at a time
 * (lstat, readlink), follows each link, and refuses as soon as the path leaves the allowed
 * directories (outside them its view is not the host's, so nothing there is trusted). A component
 * that does not exist yet ends the walk (the engine creates the rest as directories); the start
 * check walks it again.
 */
import { lstat, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { checkBindSource, normaliseHostPath, type CreatePolicy } from '@dockside/common';

const MAX_LINKS = 40;

const under = (p: string, root: string) => p === root || p.startsWith(`${root}/`);

export type BindResolution = { real: string } | { refused: string };

export async function resolveBind(source: string, policy: CreatePolicy): Promise<BindResolution> {
  const first = checkBindSource(source, policy);
  if (first) return { refused: first };
  const roots = policy.bindSources.map(normaliseHostPath).filter((x): x is string => x !== null && x !== '/');
  let pending = normaliseHostPath(source) as string;
  let links = 0;
  for (;;) {
    const root = roots.filter((r) => under(pending, r)).sort((a, b) => b.length - a.length)[0];
    if (!root) return { refused: `bind of ${source} passes through a symlink leading outside the allowed directories (to ${pending})` };
    try {
      await lstat(root);
    } catch {
      return { refused: `bind of ${source} cannot be resolved: ${root} is not visible to the api-proxy` };
    }
    const rest = pending.slice(root.length).split('/').filter(Boolean);
    let cur = root;
    let relinked = false;
    for (let i = 0; i < rest.length; i++) {
      const next = `${cur}/${rest[i]}`;
      let link: string | undefined;
      try {
        const st = await lstat(next);
        if (st.isSymbolicLink()) link = await readlink(next);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { real: posix.join(next, ...rest.slice(i + 1)) };
        return { refused: `bind of ${source} cannot be resolved (${(err as NodeJS.ErrnoException).code ?? String(err)} on ${next})` };
      }
      if (link === undefined) {
        cur = next;
        continue;
      }
      if (++links > MAX_LINKS) return { refused: `bind of ${source}: too many symlinks` };
      pending = posix.join(posix.normalize(link.startsWith('/') ? link : posix.join(cur, link)), ...rest.slice(i + 1));
      const why = checkBindSource(pending, policy);
      if (why) return { refused: `bind of ${source} passes through a symlink: ${why}` };
      relinked = true;
      break;
    }
    if (!relinked) return { real: cur };
  }
}
