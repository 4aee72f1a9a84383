/**
 * Collecting from the CLI: the engine must run on this host, because the figures come from this
 * host's /sys/fs/cgroup and /proc. When it does not, say so plainly instead of printing zeros.
 */
import { UserError } from '@dockside/common';
import {
  listRunningContainers,
  resolveRunningContainer,
  type ContainerBrief,
  type Engine,
} from '@dockside/engine';
import { collect, createCollector, locate, LOCAL_PATHS, type CollectTarget, type CollectorState, type HostPaths } from './collector.js';

export class RemoteEngineError extends UserError {
  override readonly name = 'RemoteEngineError';
  constructor(message: string) {
    super(message, {
      exitCode: 2,
      code: 'EREMOTE',
      hint: 'run dockside on the engine\'s host, or start the exporter there (`dockside metrics serve`) and scrape it',
    });
  }
}

export function toTarget(c: ContainerBrief): CollectTarget {
  return { id: c.id, name: c.name, image: c.image, labels: c.labels, networkMode: c.networkMode };
}

/** A collector over this host's cgroup tree, or a clear error when the engine is elsewhere. */
export function localCollector(engine: Engine, paths: HostPaths = LOCAL_PATHS): CollectorState {
  if (engine.endpoint.kind !== 'unix') {
    throw new RemoteEngineError(`the engine at ${engine.endpoint.display} is not on this host: container metrics are read from the cgroup files where the containers run`);
  }
  const state = createCollector(paths);
  if (!state) throw new RemoteEngineError(`no cgroup file system at ${paths.cgroupRoot}: cannot read container metrics on this host`);
  return state;
}

/**
 * The containers to watch: the named ones (resolved with "did you mean" errors, must be running),
 * or every running container. Fails clearly when none of them has a cgroup on this host.
 */
export async function chooseTargets(engine: Engine, state: CollectorState, refs: string[]): Promise<CollectTarget[]> {
  let targets: CollectTarget[];
  const running = await listRunningContainers(engine);
  if (refs.length) {
    const byId = new Map(running.map((c) => [c.id, c]));
    targets = [];
    for (const ref of refs) {
      const t = await resolveRunningContainer(engine, ref);
      const brief = byId.get(t.id);
      const target = brief ? toTarget(brief) : { id: t.id, name: t.name, image: t.image, labels: t.labels, networkMode: t.networkMode };
      if (!targets.some((x) => x.id === target.id)) targets.push(target);
    }
  } else {
    targets = running.map(toTarget);
  }
  assertLocal(engine, state, targets);
  return targets;
}

/** If containers run but none of their cgroups is here, the engine is not on this host. */
export function assertLocal(engine: Engine, state: CollectorState, targets: CollectTarget[]): void {
  if (targets.length === 0) return;
  if (targets.some((t) => locate(state, t) !== null)) return;
  throw new RemoteEngineError(
    `none of the containers of the engine at ${engine.endpoint.display} has a cgroup under ${state.paths.cgroupRoot}: the engine runs on another host or in a VM (e.g. Docker Desktop)`,
  );
}

export { collect };
