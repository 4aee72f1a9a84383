/**
 * What the shipper counts, per component (source received, sink sent/errors/retries) and per target
 * (lines and bytes shipped, last position, lag, errors, gaps). The same figures go to `/metrics` and,
 * as `status` progress events of the sidecar protocol, to `dockside logs status`.
 */
import { epochSeconds } from '@dockside/engine/logs';
import type { CheckpointData } from './checkpoint/store.js';

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
  /** Seconds behind; null when unknown (the shipper is not running, so its figures are its last). */
  targets: Array<TargetStats & { lagSeconds: number | null }>;
  gaps: Array<{ container: string; container_id: string; stream: string; from: string; to: string }>;
  lastError?: string;
  /** Why delivery is failing right now (cleared once a batch is acknowledged again). */
  retrying?: string;
}

export class ShipStats {
  readonly targets = new Map<string, TargetStats>();
  readonly source = { received: 0, errors: 0 };
  readonly sink = { sent: 0, batches: 0, errors: 0, retries: 0, dropped: 0 };
  queued = 0;
  lastError: string | undefined;
  /** The current delivery failure, while the pipeline retries; undefined once a batch gets through. */
  retrying: string | undefined;
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
    if (this.retrying) s.retrying = this.retrying;
    return s;
  }

  /**
   * Figures carried over from the checkpoint at start: per container its name, counts, the time of
   * its last shipped line and the position of each stream, so a restarted shipper reports where it
   * stands before its first new batch.
   */
  static fromCheckpoint(d: CheckpointData): ShipStats {
    const stats = new ShipStats();
    for (const [id, name] of Object.entries(d.names)) {
      const t = stats.target(id, name);
      const c = d.counts?.[id];
      if (c) Object.assign(t, { lines: c.lines, bytes: c.bytes, shippedTime: c.shippedTime ?? '' });
    }
    for (const [key, pos] of Object.entries(d.positions)) {
      const slash = key.indexOf('/');
      if (slash < 0) continue;
      const t = stats.targets.get(key.slice(0, slash));
      if (!t) continue;
      const stream = key.slice(slash + 1).replace(/^file:/, '');
      t.positions[stream] = pos;
      // A checkpoint written before shippedTime was kept: the newest log position's time.
      const ts = (pos as { ts?: unknown }).ts;
      if (!d.counts?.[t.id]?.shippedTime && typeof ts === 'string' && ts > t.shippedTime && t.lines > 0) t.shippedTime = ts;
    }
    for (const g of d.gaps) stats.target(g.container_id, g.container).gaps++;
    return stats;
  }
}

/** A snapshot as `logs status` shows it: a shipper that is not running has no lag to tell. */
export function asOfState(s: StatusSnapshot, running: boolean): StatusSnapshot {
  if (running) return s;
  const { retrying: _r, ...rest } = s;
  return { ...rest, targets: s.targets.map((t) => ({ ...t, lagSeconds: null })) };
}

/** Seconds between the newest line read and the newest line shipped (0 when all is shipped). */
function lag(t: TargetStats): number {
  if (!t.readTime || t.readTime <= t.shippedTime) return 0;
  if (!t.shippedTime) return 0;
  return Math.max(0, epochSeconds(t.readTime) - epochSeconds(t.shippedTime));
}
