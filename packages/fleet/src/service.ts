/**
 * `dockside fleet up | status | down` and the `--swarm` chores, against a Swarm manager.
 *
 *   up      deploys (or updates) the proxies and the agent as global services, keeping the chores
 *           the agent service already holds, and waits until every Ready, active node runs an agent;
 *   status  every node, its agent task, and what the agent last reported (version, sidecars),
 *           read from the agent service's logs through the manager;
 *   down    removes the agent and proxy services, then runs the sweep job on every node (the
 *           shippers, their position volumes, the socket volumes) and removes it.
 */
import { decodeLine, UserError } from '@dockside/common';
import { listSwarmNodes, listSwarmServices, listSwarmTasks, putSwarmService, removeSwarmService, swarmServiceLogs, type Engine, type SwarmNode } from '@dockside/engine';
import type { AgentProgress, AgentSidecar, AgentStatus } from './events.js';
import { decodeChores, withChore, type Chore } from './chores.js';
import { FLEET_SERVICE } from './names.js';
import { agentSpec, choresOfSpec, logsProxySpec, proxySpec, sweepSpec, type FleetImages } from './spec.js';

export interface FleetNodeStatus {
  node: string;
  hostname: string;
  state: string;
  availability: string;
  manager: boolean;
  agent: string;
  version?: string;
  sidecars: AgentSidecar[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function agentService(engine: Engine) {
  return (await listSwarmServices(engine)).find((s) => s.name === FLEET_SERVICE.agent);
}

export async function currentChores(engine: Engine): Promise<Chore[] | undefined> {
  const svc = await agentService(engine);
  return svc ? decodeChores(choresOfSpec(svc.spec)) : undefined;
}

async function deploy(engine: Engine, images: FleetImages, chores: Chore[]): Promise<void> {
  await putSwarmService(engine, logsProxySpec(images));
  await putSwarmService(engine, proxySpec(images, chores));
  await putSwarmService(engine, agentSpec(images, chores));
}

/** Nodes that should run an agent: Ready and active. */
function eligible(nodes: SwarmNode[]): SwarmNode[] {
  return nodes.filter((n) => n.state === 'ready' && n.availability === 'active');
}

/** Every eligible node's agent task running, on the current spec; resolves with the elapsed ms. */
export async function waitAgents(engine: Engine, timeoutMs: number, since = Date.now()): Promise<number> {
  const end = since + timeoutMs;
  for (;;) {
    const nodes = eligible(await listSwarmNodes(engine));
    const tasks = await listSwarmTasks(engine, { service: [FLEET_SERVICE.agent] });
    const running = new Set(tasks.filter((t) => t.desired === 'running' && t.state === 'running').map((t) => t.nodeId));
    const missing = nodes.filter((n) => !running.has(n.id));
    if (!missing.length) return Date.now() - since;
    if (Date.now() > end) {
      const why = tasks.filter((t) => t.error && missing.some((n) => n.id === t.nodeId)).map((t) => t.error);
      throw new UserError(
        `the fleet agent is not running on ${missing.map((n) => n.hostname).join(', ')} after ${Math.round(timeoutMs / 1000)} s${why.length ? ` (${why[why.length - 1]})` : ''}`,
        {
          hint: 'every node needs the dockside/fleet and dockside/logship images (`docker service ps dockside-fleet-agent` shows why a task fails)',
        },
      );
    }
    await sleep(500);
  }
}

export async function fleetUp(engine: Engine, images: FleetImages, opts: { timeoutMs?: number } = {}): Promise<{ nodes: number; ms: number }> {
  const t0 = Date.now();
  const nodes = await listSwarmNodes(engine);
  const chores = (await currentChores(engine)) ?? [];
  await deploy(engine, images, chores);
  const ms = await waitAgents(engine, opts.timeoutMs ?? 90_000, t0);
  return { nodes: eligible(nodes).length, ms };
}

/** Add (or replace) a chore: the agents restart with the new list and reconcile. */
export async function putChore(engine: Engine, images: FleetImages, chore: Chore): Promise<Chore[]> {
  const chores = await currentChores(engine);
  if (!chores) throw new UserError('the fleet is not up on this Swarm', { hint: 'run `dockside fleet up` first (DOCKER_HOST pointing at a manager)' });
  const next = withChore(chores, chore);
  await deploy(engine, images, next);
  return next;
}

export async function dropChore(engine: Engine, images: FleetImages, id: string): Promise<boolean> {
  const chores = await currentChores(engine);
  if (!chores || !chores.some((c) => c.id === id)) return false;
  await deploy(
    engine,
    images,
    chores.filter((c) => c.id !== id),
  );
  return true;
}

/** The last `status` each node's agent reported, by node id. */
async function reports(engine: Engine): Promise<Map<string, AgentStatus>> {
  const out = new Map<string, AgentStatus>();
  const running = new Set((await listSwarmTasks(engine, { service: [FLEET_SERVICE.agent] })).filter((t) => t.state === 'running').map((t) => t.id));
  for (const l of await swarmServiceLogs(engine, FLEET_SERVICE.agent, 400)) {
    if (!running.has(l.task)) continue;
    const d = decodeLine<AgentProgress>(l.line.trim());
    if (d.kind === 'event' && d.event.type === 'progress' && d.event.name === 'status') out.set(l.node, d.event.data);
  }
  return out;
}

export async function fleetStatus(engine: Engine): Promise<FleetNodeStatus[]> {
  const nodes = await listSwarmNodes(engine);
  const svc = await agentService(engine);
  const tasks = svc ? await listSwarmTasks(engine, { service: [FLEET_SERVICE.agent] }) : [];
  const rep = svc ? await reports(engine) : new Map<string, AgentStatus>();
  return nodes
    .map((n) => {
      const t = tasks.filter((x) => x.nodeId === n.id && x.desired === 'running')[0];
      const r = rep.get(n.id);
      return {
        node: n.id,
        hostname: n.hostname,
        state: n.state,
        availability: n.availability,
        manager: n.manager,
        agent: svc ? (t?.state ?? 'none') : 'not deployed',
        ...(r ? { version: r.version } : {}),
        sidecars: r?.sidecars ?? [],
      };
    })
    .sort((a, b) => a.hostname.localeCompare(b.hostname));
}

export async function fleetDown(engine: Engine, images: FleetImages, opts: { timeoutMs?: number } = {}): Promise<{ removed: string[]; swept: number }> {
  const end = Date.now() + (opts.timeoutMs ?? 120_000);
  await listSwarmNodes(engine); // a clear error when this is no manager
  const removed: string[] = [];
  for (const name of [FLEET_SERVICE.agent, FLEET_SERVICE.proxy, FLEET_SERVICE.logsProxy, FLEET_SERVICE.sweep]) if (await removeSwarmService(engine, name)) removed.push(name);
  // The sweep runs once the old tasks are gone (their containers held the socket volumes).
  for (;;) {
    const left = await listSwarmTasks(engine, { service: [FLEET_SERVICE.agent, FLEET_SERVICE.proxy, FLEET_SERVICE.logsProxy] }).catch(() => []);
    if (!left.length || Date.now() > end) break;
    await sleep(500);
  }
  const nodes = eligible(await listSwarmNodes(engine));
  await putSwarmService(engine, sweepSpec(images));
  try {
    for (;;) {
      const tasks = await listSwarmTasks(engine, { service: [FLEET_SERVICE.sweep] });
      // Running = healthy = swept (spec.ts).
      const done = tasks.filter((t) => t.state === 'running');
      const failed = tasks.filter((t) => ['failed', 'rejected', 'complete', 'shutdown'].includes(t.state));
      if (failed.length)
        throw new UserError(`the fleet sweep failed on a node: ${failed[0]?.error ?? failed[0]?.state}`, { hint: 'see `docker service logs dockside-fleet-sweep`' });
      if (done.length >= nodes.length) return { removed, swept: done.length };
      if (Date.now() > end) throw new UserError(`the fleet sweep did not finish on every node in time (${done.length} of ${nodes.length})`);
      await sleep(500);
    }
  } finally {
    await removeSwarmService(engine, FLEET_SERVICE.sweep).catch(() => undefined);
  }
}
