/**
 * Between sources and the sink: a bounded queue (sources wait while it is full, so a slow or absent
 * sink pauses reading and the lines stay in Docker's log), batches (by lines, bytes and a short
 * linger), delivery with retries and backoff, and, only after the sink acknowledged a batch, the
 * positions it reaches and the sink's commit state saved atomically in one checkpoint.
 */
import type { CheckpointStore } from '../checkpoint/store.js';
import type { Positioned } from '../record.js';
import { PermanentSinkError, type Sink } from '../sinks/sink.js';
import type { ShipStats } from '../stats.js';

export interface PipelineOptions {
  maxBatchLines: number;
  maxBatchBytes: number;
  lingerMs: number;
  maxQueueBytes: number;
  maxBackoffMs: number;
  /** A warning on the sidecar protocol; `code` DELIVERY marks the retry warnings (`retrying` in the status says whether they still hold). */
  warn: (msg: string, code?: string) => void;
}

/** The code of the warnings the pipeline gives while a destination fails and it retries. */
export const DELIVERY_WARNING = 'DELIVERY';

export const PIPELINE_DEFAULTS: Omit<PipelineOptions, 'warn'> = {
  maxBatchLines: 20_000,
  maxBatchBytes: 8 * 1024 * 1024,
  lingerMs: 100,
  maxQueueBytes: 16 * 1024 * 1024,
  maxBackoffMs: 5000,
};

export class Pipeline {
  private queue: Positioned[] = [];
  private queuedBytes = 0;
  private waiters: Array<() => void> = [];
  private wake: (() => void) | undefined;
  private stopping = false;

  constructor(
    private readonly sink: Sink,
    private readonly cp: CheckpointStore,
    private readonly stats: ShipStats,
    private readonly opts: PipelineOptions,
  ) {}

  /**
   * Queue lines (synchronously, in order). Returns nothing while the queue has room (the hot path
   * stays synchronous), else a promise that resolves once it has room again.
   */
  push(items: Positioned[]): Promise<void> | undefined {
    for (const it of items) {
      this.queue.push(it);
      this.queuedBytes += it.bytes;
    }
    this.stats.queued = this.queue.length;
    this.stats.source.received += items.length;
    this.wake?.();
    if (this.queuedBytes <= this.opts.maxQueueBytes || this.stopping) return undefined;
    return (async () => {
      while (this.queuedBytes > this.opts.maxQueueBytes && !this.stopping) await new Promise<void>((r) => this.waiters.push(r));
    })();
  }

  /** Deliver until stopped; `stop` lets it drain what is queued first. */
  async run(): Promise<void> {
    for (;;) {
      if (!this.queue.length) {
        if (this.stopping) return;
        await new Promise<void>((r) => (this.wake = r));
        this.wake = undefined;
        continue;
      }
      if (!this.stopping && this.queue.length < this.opts.maxBatchLines && this.queuedBytes < this.opts.maxBatchBytes) {
        await new Promise<void>((r) => setTimeout(r, this.opts.lingerMs));
      }
      const batch = this.take();
      await this.deliver(batch);
      if (this.queuedBytes <= this.opts.maxQueueBytes) for (const w of this.waiters.splice(0)) w();
    }
  }

  stop(): void {
    this.stopping = true;
    this.wake?.();
    for (const w of this.waiters.splice(0)) w();
  }

  private take(): Positioned[] {
    let n = 0;
    let bytes = 0;
    while (n < this.queue.length && n < this.opts.maxBatchLines && bytes < this.opts.maxBatchBytes) ((bytes += (this.queue[n] as Positioned).bytes), n++);
    const batch = this.queue.splice(0, n);
    this.queuedBytes -= bytes;
    this.stats.queued = this.queue.length;
    return batch;
  }

  private async deliver(batch: Positioned[]): Promise<void> {
    const records = batch.map((b) => b.record);
    let delay = 200;
    let state: unknown;
    let dropped = false;
    for (;;) {
      try {
        state = await this.sink.send(records);
        break;
      } catch (err) {
        this.stats.sink.errors++;
        this.stats.lastError = (err as Error).message;
        if (err instanceof PermanentSinkError) {
          this.opts.warn(`the ${this.sink.kind} destination refused a batch of ${records.length} lines for good (${err.message}); skipped`);
          this.stats.sink.dropped += records.length;
          dropped = true;
          break;
        }
        this.stats.sink.retries++;
        this.stats.retrying = (err as Error).message;
        if (this.stats.sink.retries === 1 || this.stats.sink.retries % 20 === 0)
          this.opts.warn(`delivery to ${this.sink.kind} failed (${(err as Error).message}); retrying`, DELIVERY_WARNING);
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, this.opts.maxBackoffMs);
      }
    }
    const d = this.cp.data;
    for (const b of batch) {
      d.positions[b.key] = b.position;
      d.names[b.record.container_id] = b.record.container;
      const t = this.stats.target(b.record.container_id, b.record.container);
      t.positions[b.record.stream] = b.position;
      if (!dropped) {
        t.lines++;
        t.bytes += b.bytes;
        if (b.record.truncated) t.truncated++;
      } else t.errors++;
      // Shipped means acknowledged: a refused batch moves the position on, not the last shipped time.
      if (!dropped && b.record.time > t.shippedTime) t.shippedTime = b.record.time;
    }
    // The destination answered (acknowledged or refused for good): it is no longer failing.
    this.stats.retrying = undefined;
    if (!dropped) {
      d.counts ??= {};
      for (const b of batch) {
        const c = (d.counts[b.record.container_id] ??= { lines: 0, bytes: 0 });
        c.lines++;
        c.bytes += b.bytes;
        if (!c.shippedTime || b.record.time > c.shippedTime) c.shippedTime = b.record.time;
      }
    }
    if (state !== undefined) d.sink = state;
    await this.cp.save();
    if (!dropped) {
      this.stats.sink.sent += batch.length;
      this.stats.sink.batches++;
    }
  }
}
