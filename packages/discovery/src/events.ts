/** The sidecar protocol of the discovery sidecars: their progress events, typed (no casts of event data). */

export type RegisterStateName = 'starting' | 'published' | 'withdrawn' | 'draining' | 'target-down';

export interface RegisterState {
  service: string;
  state: RegisterStateName;
  /** The address:port published (or that would be). */
  address: string;
  port: number;
  since: string;
  checks: { passed: number; failed: number };
  lastCheck?: { ok: boolean; detail: string; at: string; ms: number };
  publishes: number;
  withdrawals: number;
  registryErrors: number;
  lastError?: string;
}

export interface RegisterProgress extends Record<string, unknown> {
  /** The sidecar runs: registry reached, target found, stale entries swept, first check done. */
  ready: RegisterState & { stale: string[] };
  /** Each change of state, and every few seconds while figures change. */
  state: RegisterState;
}

export interface UpstreamStats {
  id: string;
  address: string;
  port: number;
  healthy: boolean;
  connections: number;
  active: number;
  failures: number;
  bytesIn: number;
  bytesOut: number;
}

/** One run of the on-change action. */
export interface ChangeReport {
  at: string;
  /** The healthy instances it was run for (addr:port, sorted). */
  set: string[];
  action: string;
  /** The command's exit code (null for a signal, or when it did not end). */
  exitCode: number | null;
  error?: string;
}

export interface AmbassadorStatus {
  upstream: string;
  /** host:port, or '' for a watch (no listener). */
  listen: string;
  instances: UpstreamStats[];
  accepted: number;
  active: number;
  /** Connections refused because no instance could be reached. */
  failed: number;
  retries: number;
  refreshErrors: number;
  lastError?: string;
  /** With an on-change action: how often it ran, and the last run. */
  changes?: { runs: number; failed: number; last?: ChangeReport };
}

export interface AmbassadorProgress extends Record<string, unknown> {
  ready: AmbassadorStatus;
  status: AmbassadorStatus;
}
