/**
 * A container's life after creation: pause, unpause, stop, start, signal, remove, wait until gone.
 * Every action maps engine failures the same way, and names the statuses that mean "already done".
 */
import { UserError } from '@dockside/common';
import { dockerOf } from '../connection/client.js';
import { containerApi } from './api.js';
import type { Engine } from '../connection/engine.js';
import { mapEngineError, statusOf } from '../connection/errors.js';
import { listDocksideContainers, type DocksideContainer } from './listing.js';
import { apiProxyVolumeOf, removeApiProxyPair } from '../api-proxy/remove.js';
import { resolveContainer } from './resolve.js';

/** Gone (404), or stopped / removal already in progress (409, e.g. AutoRemove). */
const GONE = [404, 409];

async function act(engine: Engine, id: string, doing: string, f: () => Promise<unknown>, okStatus: number[] = []): Promise<void> {
  try {
    await f();
  } catch (err) {
    const s = statusOf(err);
    if (s !== undefined && okStatus.includes(s)) return;
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: `${doing} container ${id.slice(0, 12)}` });
  }
}

export function pauseContainer(engine: Engine, id: string): Promise<void> {
  return act(engine, id, 'pausing', async () => (await dockerOf(engine)).getContainer(id).pause());
}

export function unpauseContainer(engine: Engine, id: string): Promise<void> {
  return act(engine, id, 'unpausing', async () => (await dockerOf(engine)).getContainer(id).unpause());
}

/** Stop (SIGTERM, then SIGKILL after `timeoutS`); a container already stopped is fine (304). */
export function stopContainer(engine: Engine, id: string, timeoutS = 10): Promise<void> {
  return act(engine, id, 'stopping', async () => (await dockerOf(engine)).getContainer(id).stop({ t: timeoutS }), [304]);
}

/** Start; a container already running is fine (304). */
export function startContainer(engine: Engine, id: string): Promise<void> {
  return act(engine, id, 'starting', async () => (await dockerOf(engine)).getContainer(id).start(), [304]);
}

/** Restart (stop with SIGTERM, SIGKILL after `timeoutS`, then start); a stopped container is started. */
export function restartContainer(engine: Engine, id: string, timeoutS = 10): Promise<void> {
  return act(engine, id, 'restarting', async () => (await dockerOf(engine)).getContainer(id).restart({ t: timeoutS }));
}

/** Signal a container's main process (e.g. asking a sidecar to finish early); one already gone or stopped is fine. */
export function signalContainer(engine: Engine, id: string, signal: NodeJS.Signals): Promise<void> {
  return act(engine, id, 'signalling', () => containerApi(engine).kill(id, signal), GONE);
}

/**
 * Rename a container: the engine's name uniqueness makes it a claim (two callers renaming to one
 * name: exactly one succeeds). Resolves false when the name is taken (409), the container already
 * has it (400) or is gone (404).
 */
export async function renameContainer(engine: Engine, id: string, name: string): Promise<boolean> {
  try {
    await (await dockerOf(engine)).getContainer(id).rename({ name });
    return true;
  } catch (err) {
    const s = statusOf(err);
    if (s === 409 || s === 400 || s === 404) return false;
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: `renaming container ${id.slice(0, 12)}` });
  }
}

/** Remove a container, whatever state it is in; a container already gone is fine. */
export function forceRemove(engine: Engine, id: string): Promise<void> {
  return act(engine, id, 'removing', () => containerApi(engine).remove(id, { force: true, v: false }), GONE);
}

/**
 * Remove a container with its anonymous volumes (e.g. one that held a secret copied in before
 * start), and its api-proxy with the proxy's socket volume when it has one (ServiceSpec.apiAccess);
 * a container already gone is fine.
 */
export async function removeWithAnonymousVolumes(engine: Engine, id: string): Promise<void> {
  const proxyVolume = await apiProxyVolumeOf(engine, id);
  if (proxyVolume) return removeApiProxyPair(engine, proxyVolume);
  return act(engine, id, 'removing', async () => (await dockerOf(engine)).getContainer(id).remove({ force: true, v: true }), GONE);
}

/** Resolves true once the container no longer exists (404), false after `timeoutMs` (AutoRemove finishes shortly after exit). */
export async function waitUntilRemoved(engine: Engine, id: string, timeoutMs = 3000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      await containerApi(engine).inspect(id);
    } catch (err) {
      if (statusOf(err) === 404) return true;
    }
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Remove containers, refusing any that dockside did not start. Returns what was removed.
 * `refs` are names or ids; `all` removes every dockside container.
 */
export async function removeDocksideContainers(engine: Engine, sel: { refs?: string[]; all?: boolean; labels?: Record<string, string> }): Promise<DocksideContainer[]> {
  const ours = await listDocksideContainers(engine, sel.labels ?? {});
  let chosen: DocksideContainer[];
  if (sel.all || sel.labels) {
    chosen = ours;
  } else {
    chosen = [];
    for (const ref of sel.refs ?? []) {
      const hit = ours.find((c) => c.name === ref || c.id === ref || (ref.length >= 4 && c.id.startsWith(ref)));
      if (!hit) {
        const target = await resolveContainer(engine, ref); // throws "no container named" with suggestions
        throw new UserError(`container "${target.name}" was not started by dockside; refusing to remove it`, {
          exitCode: 2,
          hint: 'use `docker rm` for containers dockside does not manage',
          code: 'ENOTOURS',
        });
      }
      chosen.push(hit);
    }
  }
  // One at a time: removing a service takes its api-proxy (and their volumes) along, and `--all`
  // lists both.
  for (const c of chosen) await removeWithAnonymousVolumes(engine, c.id);
  return chosen;
}
