/**
 * What the shipper counts, per component (source received, sink sent/errors/retries) and per target
 * (lines and bytes shipped, last position, lag, errors, gaps). The same figures go to `/metrics` and,
 * as `status` progress events of the sidecar protocol, to `dockside logs status`.
 */
import { epochSeconds } from '@dockside/engine/logs';

export interface TargetStats {
  id: string;
  name: string;
  lines: number;
  bytes: number;
  errors: number;
  gaps: number;
  truncated: number;
  /** Time of the last line shipped (acknowledged). */
  shippedTime: string;
  /** Time of the last line read from the engine. */
  readTime: string;
  positions: Record<string, unknown>;
  following: boolean;
}

export interface StatusSnapshot {
  name: string;
  sink: string;
  since: string;
  source: { received: number; errors: number };
  sinkStats: { sent: number; batches: number; errors: number; retries: number; dropped: number };
  queued: number;
  targets: Array<TargetStats & { lagSeconds: number }>;
  gaps: Array<{ container: string; container_id: string; stream: string; from: string; to: string }>;
  lastError?: string;
}

export class ShipStats {
  readonly targets = new Map<string, TargetStats>();
  readonly source = { received: 0, errors: 0 };
  readonly sink = { sent: 0, batches: 0, errors: 0, retries: 0, dropped: 0 };
  queued = 0;
  lastError: string | undefined;
  readonly since = new Date().toISOString();

  target(id: string, name: string): TargetStats {
    let t = this.targets.get(id);
    if (!t) {
      t = { id, name, lines: 0, bytes: 0, errors: 0, gaps: 0, truncated: 0, shippedTime: '', readTime: '', positions: {}, following: false };
      this.targets.set(id, t);
    }
    if (name) t.name = name;
    return t;
  }

  snapshot(name: string, sink: string, gaps: StatusSnapshot['gaps']): StatusSnapshot {
    const targets = [...this.targets.values()].map((t) => ({ ...t, lagSeconds: lag(t) }));
    const s: StatusSnapshot = { name, sink, since: this.since, source: { ...this.source }, sinkStats: { ...this.sink }, queued: this.queued, targets, gaps };
    if (this.lastError) s.lastError = this.lastError;
    return s;
  }
}

/** Seconds between the newest line read and the newest line shipped (0 when all is shipped). */
function lag(t: TargetStats): number {
  if (!t.readTime || t.readTime <= t.shippedTime) return 0;
  if (!t.shippedTime) return 0;
  return Math.max(0, epochSeconds(t.readTime) - epochSeconds(t.shippedTime));
}
