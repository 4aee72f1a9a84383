/** Finding a target container by name, full id or unique id prefix. */
import type Dockerode from 'dockerode';
import { NotFoundError, UserError, closestNames } from '@dockside/common';
import { containerApi } from './api.js';
import type { Engine } from '../connection/engine.js';
import { mapEngineError, statusOf } from '../connection/errors.js';
import { queryContainers } from './query.js';

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
    const info = await containerApi(engine).inspect(ref);
    return toTarget(info);
  } catch (err) {
    if (statusOf(err) !== 404) throw mapEngineError(err, { endpoint: engine.endpoint, doing: `looking up container "${ref}"` });
  }
  const all = await queryContainers(engine, { all: true }, 'listing containers').catch(() => []);
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

export function toTarget(info: Dockerode.ContainerInspectInfo): TargetContainer {
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
