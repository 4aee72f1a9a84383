/** What every sink does: check the destination at start, deliver a batch and say when it is acknowledged. */
import type { ShipRecord } from '../record.js';

export interface Sink {
  readonly kind: string;
  /** Check the destination (reachable, writable) and take back the commit state from the checkpoint. */
  open(state: unknown): Promise<void>;
  /** Deliver a batch; resolves once the destination acknowledged it, with the state to commit. */
  send(records: ShipRecord[]): Promise<unknown>;
  close(): Promise<void>;
}

/** The destination refused the batch for good (e.g. HTTP 400): retrying cannot help. */
export class PermanentSinkError extends Error {
  override readonly name = 'PermanentSinkError';
}

/** The batch did not get through for now (a timeout, a dropped connection, 429/5xx): the pipeline retries it. */
export class RetryableSinkError extends Error {
  override readonly name = 'RetryableSinkError';
}

/** The NDJSON object for one record (file and http sinks). */
export function ndjsonLine(r: ShipRecord): string {
  const o: Record<string, unknown> = {
    time: r.time,
    container: r.container,
    container_id: r.container_id,
    stream: r.stream,
    ...(r.swarm ? { swarm: r.swarm } : {}),
    message: r.message,
  };
  if (r.truncated) o['truncated'] = true;
  return `${JSON.stringify(o)}\n`;
}

/**
 * The same objects, faster: the part between time and message is the same for every line of a
 * container's stream, so it is serialised once (the hot path of a backlog).
 */
export class NdjsonEncoder {
  private readonly middles = new Map<string, string>();

  line(r: ShipRecord): string {
    const key = `${r.container_id}\u0000${r.stream}\u0000${r.container}`;
    let mid = this.middles.get(key);
    if (mid === undefined) {
      // A Swarm task's place (node, service, task, slot) is the same for every line of its container.
      mid = `,"container":${JSON.stringify(r.container)},"container_id":${JSON.stringify(r.container_id)},"stream":${JSON.stringify(r.stream)}${r.swarm ? `,"swarm":${JSON.stringify(r.swarm)}` : ''},"message":`;
      if (this.middles.size > 10_000) this.middles.clear();
      this.middles.set(key, mid);
    }
    return `{"time":${JSON.stringify(r.time)}${mid}${JSON.stringify(r.message)}${r.truncated ? ',"truncated":true' : ''}}\n`;
  }

  lines(records: ShipRecord[]): string {
    let out = '';
    for (const r of records) out += this.line(r);
    return out;
  }
}
