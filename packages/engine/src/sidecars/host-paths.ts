/**
 * The host-path rule (common's hostPathRefusal) applied with the engine's own socket and with
 * symlinks resolved: `--backup-dir /var/run` is /run, which holds /run/docker.sock. Symlinks are
 * resolved only when the engine runs on this host (a unix socket); for a remote engine the path
 * names a directory over there, and the rule applies to it as written.
 */
import { realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { ENGINE_SOCKETS, UsageError, hostPathRefusal } from '@dockside/common';
import type { Engine } from '../connection/engine.js';
import { DEFAULT_SOCKET } from '../connection/endpoint.js';
import type { SidecarMount } from './create.js';

/** The path with symlinks resolved as far as it exists (the rest appended as written). */
async function resolvedForm(path: string): Promise<string> {
  let existing = path;
  for (;;) {
    try {
      return join(await realpath(existing), relative(existing, path));
    } catch {
      const up = dirname(existing);
      if (up === existing) return path;
      existing = up;
    }
  }
}

/** No engine given: the caller reads the path on this host (a backup directory it lists). */
function localEngine(engine: Engine | undefined): boolean {
  return !engine || engine.endpoint.kind === 'unix';
}

async function socketForms(engine: Engine | undefined): Promise<string[]> {
  const own = engine?.endpoint.kind === 'unix' ? (engine.endpoint.socketPath ?? DEFAULT_SOCKET) : DEFAULT_SOCKET;
  const all = [own, ...ENGINE_SOCKETS];
  if (localEngine(engine)) all.push(...(await Promise.all(all.map(resolvedForm))));
  return [...new Set(all)];
}

/**
 * Refuse (a UsageError, exit 2) a host path a sidecar would bind-mount when it is, holds or lies on
 * the way to the engine's socket, or is /, or lies in /proc, /sys, /dev, /etc or /var/lib/docker.
 * `what` names it as the user gave it: `--backup-dir /var/run`. Touches nothing but realpath().
 */
export async function checkHostPath(engine: Engine | undefined, path: string, what: string): Promise<void> {
  const forms = isAbsolute(path) && localEngine(engine) ? [...new Set([path, await resolvedForm(path)])] : [path];
  const sockets = await socketForms(engine);
  for (const form of forms) {
    const why = hostPathRefusal(form, sockets);
    if (why) {
      throw new UsageError(`${what}: a sidecar may not mount ${form === path ? 'it' : `${form} (where ${path} leads)`}: ${why}`, {
        hint: "give a directory of its own (e.g. /srv/backups), not one of the host's system trees or sockets",
      });
    }
  }
}

/** Every bind mount of a sidecar spec, but dockside's own mounts of host interfaces, under the rule. */
export async function checkHostBinds(engine: Engine, role: string, mounts: readonly SidecarMount[] = []): Promise<void> {
  for (const m of mounts) {
    if (m.type === 'bind' && !m.hostInterface && m.source !== undefined) await checkHostPath(engine, m.source, `the ${role} sidecar's mount of ${m.source}`);
  }
}
