/**
 * The agent: one per Swarm node (a global service), reaching the node's engine only through the
 * fleet's api-proxy. Every second it lists the node's Swarm task containers and the sidecars it
 * started, and makes them agree with the chores the CLI wrote into its service spec (planNode):
 * a log shipper per task, joined to nothing, reaching logs through the node's log-shipper proxy.
 *
 * Killing or restarting the agent stops nothing it started: the shippers run on (restart
 * unless-stopped) and keep their positions on their own volumes, and the next agent adopts them by
 * their labels. It reports what runs on its node as `status` progress events on stderr, which
 * `dockside fleet status` reads from the agent service's logs on the manager.
 */
import type { AgentProgress, AgentSidecar, AgentStatus } from '../events.js';
import { ROLE } from '@dockside/common';
import { LABEL, listAllContainers, removeNamedVolume, removeWithAnonymousVolumes, stopContainer, type Engine } from '@dockside/engine';
import { displaySinkUrl, stateVolumeName, startShipper, validateShipConfig } from '@dockside/logship';
import { EventWriter } from '@dockside/sidecar-kit';
import { watchContainerEvents } from '@dockside/engine/events';
import { socketClientFromEnv } from '@dockside/engine/logs';
import type { Chore } from '../chores.js';
import { FLEET_LABEL, FLEET_VOLUME, shipperName } from '../names.js';
import { planNode, type LocalSidecar, type LocalTask } from '../plan.js';

export interface AgentOptions {
  engine: Engine;
  chores: Chore[];
  node: string;
  nodeId: string;
  version: string;
  logshipImage: string;
  log: (msg: string) => void;
  intervalMs?: number;
  signal: AbortSignal;
}

export type { AgentSidecar, AgentStatus } from '../events.js';

const SWARM_TASK = 'com.docker.swarm.task.id';
const SWARM_SERVICE = 'com.docker.swarm.service.name';

export async function runAgent(o: AgentOptions): Promise<void> {
  const events = new EventWriter<AgentProgress>();
  const stoppedSince = new Map<string, number>();
  const busy = new Set<string>();
  let lastReport = '';
  let lastReportAt = 0;
  const interval = o.intervalMs ?? 1000;
  const wake = taskEvents();
  events.progress('ready', { node: o.node, chores: o.chores.map((c) => c.id) });
  while (!o.signal.aborted) {
    try {
      const now = Date.now();
      const all = await listAllContainers(o.engine);
      const tasks: LocalTask[] = [];
      const sidecars: LocalSidecar[] = [];
      const shown: AgentSidecar[] = [];
      for (const c of all) {
        const task = c.labels[SWARM_TASK];
        const service = c.labels[SWARM_SERVICE];
        if (task && service && !service.startsWith('dockside-fleet-')) {
          const running = c.state === 'running' || c.state === 'restarting';
          if (running) stoppedSince.delete(c.id);
          else if (!stoppedSince.has(c.id)) stoppedSince.set(c.id, now);
          tasks.push({ task, service, containerId: c.id, running, ...(running ? {} : { finishedAt: stoppedSince.get(c.id) ?? now }) });
        }
        const chore = c.labels[FLEET_LABEL.chore];
        if (chore && c.labels[LABEL.managed] === 'true' && c.labels[LABEL.role] === ROLE.logship) {
          sidecars.push({ id: c.id, chore, task: c.labels[FLEET_LABEL.task] ?? '', created: c.created });
          shown.push({ name: c.name, chore, task: c.labels[FLEET_LABEL.task] ?? '', service: c.labels[FLEET_LABEL.service] ?? '', state: c.state });
        }
      }
      const plan = planNode(
        o.chores,
        tasks,
        sidecars.filter((s) => !busy.has(s.id)),
        now,
      );
      for (const { chore, task } of plan.start) {
        const key = `${chore.id}/${task.task}`;
        if (busy.has(key)) continue;
        busy.add(key);
        void startFor(o, chore, task).finally(() => busy.delete(key));
      }
      for (const { sidecar, why } of plan.remove) {
        if (busy.has(sidecar.id)) continue;
        busy.add(sidecar.id);
        void removeSidecar(o, sidecar, why).finally(() => busy.delete(sidecar.id));
      }
      const status: AgentStatus = {
        node: o.node,
        nodeId: o.nodeId,
        version: o.version,
        chores: o.chores.map((c) => c.id),
        sidecars: shown.sort((a, b) => a.name.localeCompare(b.name)),
      };
      const text = JSON.stringify(status);
      if (text !== lastReport || now - lastReportAt > 10_000) {
        events.progress('status', status);
        lastReport = text;
        lastReportAt = now;
      }
    } catch (err) {
      o.log(`pass failed: ${(err as Error).message}`);
    }
    await wake.sleep(interval);
  }
  wake.stop();
}

/**
 * The pause between passes: `interval`, cut short when a Swarm task container starts or dies on
 * this node (the engine's events, through the agent's proxy), so a new task gets its sidecar
 * without waiting out the poll. A lost event stream only costs that: the poll goes on.
 */
function taskEvents(): { sleep(ms: number): Promise<void>; stop(): void } {
  let wakeUp: (() => void) | undefined;
  let pending = false;
  const stop = watchContainerEvents(socketClientFromEnv(), {
    filters: { type: ['container'], event: ['start', 'die'], label: [SWARM_TASK] },
    onEvent: () => {
      if (wakeUp) wakeUp();
      else pending = true;
    },
  });
  return {
    sleep(ms) {
      if (pending) {
        pending = false;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const t = setTimeout(done, ms);
        function done() {
          clearTimeout(t);
          wakeUp = undefined;
          resolve();
        }
        wakeUp = done;
      });
    },
    stop,
  };
}

async function startFor(o: AgentOptions, chore: Chore, task: LocalTask): Promise<void> {
  const name = shipperName(chore.id, task.task);
  const t0 = Date.now();
  try {
    const config = validateShipConfig({ name, to: chore.to, selection: { containers: [task.containerId], all: false, labels: [] }, maxLine: chore.maxLine, files: [] });
    const info = await startShipper(o.engine, {
      image: o.logshipImage,
      version: o.version,
      session: 'fleet',
      config,
      sinkDisplay: displaySinkUrl(chore.to),
      apiSocketVolume: FLEET_VOLUME.logsApi,
      labels: { [FLEET_LABEL.chore]: chore.id, [FLEET_LABEL.task]: task.task, [FLEET_LABEL.service]: task.service },
    });
    o.log(`started ${info.container} for task ${task.task.slice(0, 12)} of ${task.service} (${Date.now() - t0} ms)`);
  } catch (err) {
    o.log(`could not start the ${chore.id} shipper for task ${task.task.slice(0, 12)}: ${(err as Error).message}`);
  }
}

async function removeSidecar(o: AgentOptions, s: LocalSidecar, why: string): Promise<void> {
  try {
    // SIGTERM first: the shipper delivers what it has queued before it goes.
    await stopContainer(o.engine, s.id, 20).catch(() => undefined);
    await removeWithAnonymousVolumes(o.engine, s.id);
    await removeNamedVolume(o.engine, stateVolumeName(shipperName(s.chore, s.task))).catch(() => undefined);
    o.log(`removed the ${s.chore} shipper of task ${s.task.slice(0, 12)}: ${why}`);
  } catch (err) {
    o.log(`could not remove sidecar ${s.id.slice(0, 12)}: ${(err as Error).message}`);
  }
}
