/**
 * Which instance a new connection goes to: round-robin over the instances the registry lists now,
 * skipping those whose connect failed recently (for `holdMs`, or until the registry lists them
 * afresh after dropping them). Pure logic, given the clock.
 */
import type { Instance } from '../registry/instance.js';
import type { UpstreamStats } from '../events.js';

export class Balancer {
  private instances: Instance[] = [];
  private next = 0;
  private readonly failedUntil = new Map<string, number>();
  readonly stats = new Map<string, UpstreamStats>();

  constructor(
    private readonly holdMs = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  static key(i: Pick<Instance, 'address' | 'port'>): string {
    return `${i.address}:${i.port}`;
  }

  /** The registry's current list; returns true when the set changed. */
  update(list: Instance[]): boolean {
    const before = this.instances.map(Balancer.key).sort().join(',');
    this.instances = [...list].sort((a, b) => Balancer.key(a).localeCompare(Balancer.key(b)));
    const now = this.instances.map(Balancer.key);
    for (const k of [...this.failedUntil.keys()]) if (!now.includes(k)) this.failedUntil.delete(k);
    for (const i of this.instances) {
      const k = Balancer.key(i);
      if (!this.stats.has(k)) this.stats.set(k, { id: i.id, address: i.address, port: i.port, healthy: true, connections: 0, active: 0, failures: 0, bytesIn: 0, bytesOut: 0 });
    }
    for (const [k, s] of this.stats) s.healthy = now.includes(k) && (this.failedUntil.get(k) ?? 0) <= this.now();
    return before !== now.sort().join(',');
  }

  /** Candidates for one connection, in the order to try them: each listed instance at most once, failed ones last. */
  order(): Instance[] {
    const n = this.instances.length;
    if (!n) return [];
    const start = this.next++ % n;
    const rotated = [...this.instances.slice(start), ...this.instances.slice(0, start)];
    const t = this.now();
    const ok = rotated.filter((i) => (this.failedUntil.get(Balancer.key(i)) ?? 0) <= t);
    const bad = rotated.filter((i) => (this.failedUntil.get(Balancer.key(i)) ?? 0) > t);
    return [...ok, ...bad];
  }

  failed(i: Instance): void {
    const k = Balancer.key(i);
    this.failedUntil.set(k, this.now() + this.holdMs);
    const s = this.stats.get(k);
    if (s) {
      s.failures++;
      s.healthy = false;
    }
  }

  connected(i: Instance): UpstreamStats | undefined {
    const k = Balancer.key(i);
    this.failedUntil.delete(k);
    const s = this.stats.get(k);
    if (s) {
      s.connections++;
      s.active++;
      s.healthy = true;
    }
    return s;
  }

  listed(): Instance[] {
    return this.instances;
  }
}
