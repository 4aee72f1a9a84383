/**
 * What the register and ambassador sidecars need of a registry, the same for etcd, dnsmasq hosts
 * files and Consul. Each implementation keeps its own handle (an etcd lease, a Consul check) for the
 * one instance a register sidecar publishes.
 */
import type { Instance } from './instance.js';

export interface Registry {
  readonly kind: string;
  /** Checks the registry answers (for `read`: that it can be listed); a UserError (code EREGISTRY) naming it when it does not. */
  open(access?: 'read' | 'write'): Promise<void>;
  /** Publish (or refresh) the instance; it expires by itself `ttlMs` after the last keepAlive. */
  publish(inst: Instance, ttlMs: number): Promise<void>;
  /** Keep the published instance alive (called every ttl/3 while published). */
  keepAlive(inst: Instance, ttlMs: number): Promise<void>;
  /** The instance no longer resolves (`unhealthy`: its check fails; `draining`: the app is stopping). */
  withdraw(inst: Instance, reason: WithdrawReason): Promise<void>;
  /** The healthy instances of a service. */
  list(service: string): Promise<Instance[]>;
  /** Every entry of a service, healthy or not (for the stale sweep). */
  entries(service: string): Promise<Instance[]>;
  /** Remove one entry for good. */
  remove(inst: Instance): Promise<void>;
  close(): Promise<void>;
}

export type WithdrawReason = 'unhealthy' | 'draining' | 'stopped' | 'target-down';

/** Stale: an entry of this host and service, made before this register started, by a container that was gone by then. */
export function isStale(i: Instance, me: { host: string; id: string; startedAt: number; liveContainers: ReadonlySet<string> }): boolean {
  if (i.host !== me.host || i.id === me.id) return false;
  const at = Date.parse(i.registeredAt);
  return Number.isFinite(at) && at < me.startedAt && !me.liveContainers.has(i.container);
}
