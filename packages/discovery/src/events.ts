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

export interface AmbassadorStatus {
  upstream: string;
  listen: string;
  instances: UpstreamStats[];
  accepted: number;
  active: number;
  /** Connections refused because no instance could be reached. */
  failed: number;
  retries: number;
  refreshErrors: number;
  lastError?: string;
}

export interface AmbassadorProgress extends Record<string, unknown> {
  ready: AmbassadorStatus;
  status: AmbassadorStatus;
}
