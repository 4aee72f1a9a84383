/**
 * The fleet agent's sidecar protocol (@dockside/common protocol.ts), typed: what it reports in its
 * log (read by the CLI from the Swarm service's logs, service.ts). Plain types, no I/O.
 */

export interface AgentSidecar {
  name: string;
  chore: string;
  task: string;
  service: string;
  state: string;
}

export interface AgentStatus {
  node: string;
  nodeId: string;
  version: string;
  chores: string[];
  sidecars: AgentSidecar[];
}

/** A type alias, not an interface: ProgressMap needs an index signature. */
export type AgentProgress = {
  ready: { node: string; chores: string[] };
  /** What runs on the node now, every interval while it changes. */
  status: AgentStatus;
};
