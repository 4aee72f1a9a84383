/**
 * Collecting from the CLI: the engine must run on this host, because the figures come from this
 * host's /sys/fs/cgroup and /proc. When it does not, say so plainly instead of printing zeros.
 */
import { UserError } from '@dockside/common';
import { listRunningContainers, resolveContainer, resolveRunningContainer, type ContainerBrief, type Engine } from '@dockside/engine';
import { collect, createCollector, locate, LOCAL_PATHS, type CollectTarget, type CollectorState, type HostPaths } from './collector.js';

export class RemoteEngineError extends UserError {
  override readonly name = 'RemoteEngineError';
  constructor(message: string) {
    super(message, {
      exitCode: 2,
      code: 'EREMOTE',
      hint: "run dockside on the engine's host; `dockside metrics --source sidecar` reads through a one-shot sidecar there, and `dockside metrics serve` runs the exporter there",
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
      // The listing answers most names and ids without one inspect per container; anything else
      // (stopped, ambiguous, unknown) goes through the engine's own resolution and its errors.
      const prefixed = /^[0-9a-f]{4,}$/.test(ref) ? running.filter((c) => c.id.startsWith(ref)) : [];
      let brief = byId.get(ref) ?? running.find((c) => c.name === ref) ?? (prefixed.length === 1 ? prefixed[0] : undefined);
      let target: CollectTarget;
      if (brief) target = toTarget(brief);
      else {
        const t = await resolveRunningContainer(engine, ref);
        brief = byId.get(t.id);
        target = brief ? toTarget(brief) : { id: t.id, name: t.name, image: t.image, labels: t.labels, networkMode: t.networkMode };
        if (t.pid > 0) state.mainPids.set(t.id, t.pid);
      }
      if (!targets.some((x) => x.id === target.id)) targets.push(target);
    }
  } else {
    targets = running.map(toTarget);
  }
  assertLocal(engine, state, targets);
  await learnMainPids(engine, state, targets);
  return targets;
}

const INSPECTS_AT_ONCE = 16;

/**
 * Give each target its main process (State.Pid), as the exporter does: one inspect per container
 * the collector does not know yet, or whose process it found gone (a restart), not one per
 * collection. A container that went away meanwhile just has no pid (and no network figures).
 */
async function learnMainPids(engine: Engine, state: CollectorState, targets: CollectTarget[]): Promise<void> {
  for (const id of state.mainPids.keys()) if (!targets.some((t) => t.id === id)) state.mainPids.delete(id);
  const unknown = targets.filter((t) => !state.mainPids.has(t.id));
  for (let i = 0; i < unknown.length; i += INSPECTS_AT_ONCE) {
    await Promise.all(
      unknown.slice(i, i + INSPECTS_AT_ONCE).map(async (t) => {
        const info = await resolveContainer(engine, t.id).catch(() => undefined);
        if (info && info.running && info.pid > 0) state.mainPids.set(t.id, info.pid);
      }),
    );
  }
  for (const t of targets) {
    const pid = state.mainPids.get(t.id);
    if (pid) t.pid = pid;
  }
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
