/** Finding a target container by name, full id or unique id prefix. */
import type Dockerode from 'dockerode';
import { NotFoundError, TargetStateError, UsageError, closestNames, naturalCompare } from '@dockside/common';
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
  /** When its main process last started (State.StartedAt), as the engine reports it. */
  startedAt: string;
  /** The image's or run's HEALTHCHECK test (["CMD", ...] or ["CMD-SHELL", "..."]), if it has one. */
  healthcheck?: string[];
  /** Its networks and the IPv4 address it has on each (user-defined, bridge; none for host/container: modes). */
  networks?: Record<string, string>;
}

/**
 * Resolve a container by name, full id or unique id prefix, by the engine's own rules: a full id,
 * then a name (the engine stores names as "/web", so "/web" and "web" are one name; a leading "/"
 * means a name only), then a unique id prefix. On a miss, the error names the closest existing
 * containers; an id prefix that several containers share names them all.
 */
export async function resolveContainer(engine: Engine, ref: string): Promise<TargetContainer> {
  // "/web" must not go on the wire as /containers//web/json: the engine's router answers a path
  // with "//" by a redirect, not by the container.
  const key = ref.startsWith('/') ? ref.slice(1) : ref;
  if (!key || /[\s/]/.test(key)) {
    throw new NotFoundError(`no container named "${ref}"`, { hint: 'give a container name or id, as `docker ps` shows them' });
  }
  let failure: unknown;
  try {
    const info = await containerApi(engine).inspect(key);
    // "/abc" names a container: an id or id prefix "abc" is not what was asked for.
    if (key === ref || info.Name === ref) return toTarget(info);
  } catch (err) {
    if (statusOf(err) !== 404) failure = err;
  }
  const all = await queryContainers(engine, { all: true }, 'listing containers').catch((err: unknown) => {
    if (failure === undefined) return [];
    throw mapEngineError(failure, { endpoint: engine.endpoint, doing: `looking up container "${ref}"` });
  });
  if (failure !== undefined) {
    // An id prefix several containers share (the engine: "Multiple IDs found", a 500 on 20.10):
    // found from the listing, not from the engine's message.
    const sharing = key === ref && /^[0-9a-f]+$/.test(key) ? all.filter((c) => c.Id.startsWith(key)) : [];
    if (sharing.length > 1) throw ambiguous(ref, sharing);
    throw mapEngineError(failure, { endpoint: engine.endpoint, doing: `looking up container "${ref}"` });
  }
  const names = all.flatMap((c) => (c.Names ?? []).map((n) => n.replace(/^\//, '')));
  const close = closestNames(key, names);
  throw new NotFoundError(`no container named "${ref}"`, {
    hint: close.length > 0 ? `did you mean ${close.map((n) => `"${n}"`).join(', ')}?` : 'see `docker ps -a` for the containers on this engine',
  });
}

const CANDIDATES_SHOWN = 10;

function ambiguous(ref: string, sharing: Dockerode.ContainerInfo[]): UsageError {
  const named = sharing.map((c) => `${(c.Names?.[0] ?? '').replace(/^\//, '') || '?'} (${c.Id.slice(0, 12)})`).sort(naturalCompare);
  const more = named.length > CANDIDATES_SHOWN ? ` and ${named.length - CANDIDATES_SHOWN} more` : '';
  return new UsageError(`"${ref}" matches several containers: ${named.slice(0, CANDIDATES_SHOWN).join(', ')}${more}`, {
    hint: "give more of the id, or the container's name",
  });
}

/** Like resolveContainer, but the target must be running (sidecars join live namespaces). */
export async function resolveRunningContainer(engine: Engine, ref: string): Promise<TargetContainer> {
  const t = await resolveContainer(engine, ref);
  if (!t.running) {
    throw new TargetStateError(`container "${t.name}" is not running (${t.status})`, {
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
    startedAt: info.State.StartedAt,
    ...(healthTest(info) ? { healthcheck: healthTest(info) as string[] } : {}),
    networks: Object.fromEntries(Object.entries(info.NetworkSettings?.Networks ?? {}).map(([n, v]) => [n, v.IPAddress ?? ''])),
  };
}

function healthTest(info: Dockerode.ContainerInspectInfo): string[] | undefined {
  const test = (info.Config as { Healthcheck?: { Test?: string[] } }).Healthcheck?.Test;
  return test && test.length && test[0] !== 'NONE' ? test : undefined;
}
