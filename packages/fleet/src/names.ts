/**
 * The names the fleet shares between the CLI (which deploys it) and the agent (which runs on every
 * node): its Swarm services, the node-local volumes holding its proxies' sockets, and the labels on
 * what the agent starts.
 */

export const FLEET_SERVICE = {
  /** The agent: one task per node, reaching its node's engine only through `proxy`. */
  agent: 'dockside-fleet-agent',
  /** The agent's api-proxy on every node: the node's socket, the agent's rules. */
  proxy: 'dockside-fleet-proxy',
  /** The log shippers' api-proxy on every node: the node's socket, the shipper's read-only rules. */
  logsProxy: 'dockside-fleet-logs-proxy',
  /** The clean-up of `fleet down` on every node (a global service, removed once every node is swept). */
  sweep: 'dockside-fleet-sweep',
} as const;

/** Node-local named volumes (each node has its own of the same name). */
export const FLEET_VOLUME = {
  agentApi: 'dockside-fleet-api',
  logsApi: 'dockside-fleet-logs-api',
} as const;

export const FLEET_LABEL = {
  /** On every Swarm service of the fleet. */
  fleet: 'dockside.fleet',
  /** On a sidecar the agent started: the chore it serves... */
  chore: 'dockside.fleet.chore',
  /** ...the Swarm task whose container it is next to... */
  task: 'dockside.fleet.task',
  /** ...and that task's service. */
  service: 'dockside.fleet.service',
} as const;

/** The shipper name (and so `dockside-logship-<name>` position volume) of a chore's sidecar for a task. */
export function shipperName(chore: string, task: string): string {
  return `fleet-${chore}-${task.slice(0, 12)}`;
}

/** The position volumes the agent's shippers get: `dockside-logship-fleet-*`. */
export const SHIPPER_VOLUME_PATTERN = 'dockside-logship-fleet-*';
