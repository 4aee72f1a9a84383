/** Finding containers: a target by name or id, and dockside's own containers by label. */
import { NotFoundError, UserError, closestNames } from '@dockside/common';
import type { Engine } from './engine.js';
import { mapEngineError, statusOf } from './errors.js';
import { LABEL, labelFilter } from './labels.js';

export interface ContainerMount {
  type: string;
  /** Volume name for named volumes, host path for binds. */
  name: string;
  source: string;
  destination: string;
  readOnly: boolean;
}

export interface TargetContainer {
  id: string;
  name: string;
  image: string;
  imageId: string;
  running: boolean;
  paused: boolean;
  status: string;
  pid: number;
  networkMode: string;
  mounts: ContainerMount[];
  labels: Record<string, string>;
}

/**
 * Resolve a container by name, full id or unique id prefix (the engine's own rules). On a miss, the
 * error names the closest existing containers.
 */
export async function resolveContainer(engine: Engine, ref: string): Promise<TargetContainer> {
  if (!ref || /[\s/]/.test(ref.replace(/^\//, ''))) {
    throw new NotFoundError(`no container named "${ref}"`, { hint: 'give a container name or id, as `docker ps` shows them' });
  }
  try {
    const info = await engine.docker.getContainer(ref).inspect();
    return toTarget(info);
  } catch (err) {
    if (statusOf(err) !== 404) throw mapEngineError(err, { endpoint: engine.endpoint, doing: `looking up container "${ref}"` });
  }
  const all = await engine.docker.listContainers({ all: true }).catch(() => []);
  const names = all.flatMap((c) => (c.Names ?? []).map((n) => n.replace(/^\//, '')));
  const close = closestNames(ref, names);
  throw new NotFoundError(`no container named "${ref}"`, {
    hint: close.length > 0 ? `did you mean ${close.map((n) => `"${n}"`).join(', ')}?` : 'see `docker ps -a` for the containers on this engine',
  });
}

/** Like resolveContainer, but the target must be running (sidecars join live namespaces). */
export async function resolveRunningContainer(engine: Engine, ref: string): Promise<TargetContainer> {
  const t = await resolveContainer(engine, ref);
  if (!t.running) {
    throw new UserError(`container "${t.name}" is not running (${t.status})`, {
      hint: `start it first: docker start ${t.name}`,
      code: 'ENOTRUNNING',
    });
  }
  return t;
}

export function toTarget(info: import('dockerode').ContainerInspectInfo): TargetContainer {
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    image: info.Config.Image,
    imageId: info.Image,
    running: info.State.Running,
    paused: info.State.Paused,
    status: info.State.Status,
    pid: info.State.Pid,
    networkMode: info.HostConfig.NetworkMode ?? 'default',
    mounts: (info.Mounts ?? []).map((m) => ({
      type: m.Type,
      name: m.Name ?? m.Source,
      source: m.Source,
      destination: m.Destination,
      readOnly: !m.RW,
    })),
    labels: info.Config.Labels ?? {},
  };
}

export interface DocksideContainer {
  id: string;
  name: string;
  role: string;
  target: string;
  targetName: string;
  session: string;
  version: string;
  image: string;
  state: string;
  status: string;
  created: Date;
}

/** Every container dockside started (by label), optionally narrowed by more labels. */
export async function listDocksideContainers(engine: Engine, more: Record<string, string> = {}): Promise<DocksideContainer[]> {
  let list: import('dockerode').ContainerInfo[];
  try {
    list = await engine.docker.listContainers({ all: true, filters: labelFilter(more) });
  } catch (err) {
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: 'listing containers' });
  }
  return list.map((c) => ({
    id: c.Id,
    name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''),
    role: c.Labels[LABEL.role] ?? '',
    target: c.Labels[LABEL.target] ?? '',
    targetName: c.Labels[LABEL.targetName] ?? '',
    session: c.Labels[LABEL.session] ?? '',
    version: c.Labels[LABEL.version] ?? '',
    image: c.Image,
    state: c.State,
    status: c.Status,
    created: new Date(c.Created * 1000),
  }));
}

/**
 * Remove containers, refusing any that dockside did not start. Returns what was removed.
 * `refs` are names or ids; `all` removes every dockside container.
 */
export async function removeDocksideContainers(
  engine: Engine,
  sel: { refs?: string[]; all?: boolean; labels?: Record<string, string> },
): Promise<DocksideContainer[]> {
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
  await Promise.all(chosen.map((c) => forceRemove(engine, c.id)));
  return chosen;
}

/** Remove a container, whatever state it is in; a container already gone is fine. */
export async function forceRemove(engine: Engine, id: string): Promise<void> {
  try {
    await engine.docker.getContainer(id).remove({ force: true, v: false });
  } catch (err) {
    const s = statusOf(err);
    if (s === 404 || s === 409) return; // gone, or removal already in progress (AutoRemove)
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: `removing container ${id.slice(0, 12)}` });
  }
}
