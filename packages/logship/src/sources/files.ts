/**
 * The files source (--files): log files the target writes into its volumes, which the shipper
 * joins read-only (--volumes-from). Every 250 ms the globs are expanded again; each file is
 * followed by a FileFollower from its position (fingerprint + offset, advanced only after the sink
 * acknowledged). A file whose fingerprint no longer matches its saved position was rotated while
 * the shipper was away: it is read from its start and the unread rest of the old one is reported
 * as a gap.
 */
import type { CheckpointStore } from '../checkpoint/store.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { Positioned } from '../record.js';
import type { ShipStats } from '../stats.js';
import { FileFollower, fingerprintOf, type FilePosition } from './file-follower.js';
import { expandGlob } from './glob.js';
import { open } from 'node:fs/promises';

export interface FilesSourceOptions {
  globs: string[];
  target: { id: string; name: string };
  maxLine: number;
  pipeline: Pipeline;
  checkpoint: CheckpointStore;
  stats: ShipStats;
  warn: (msg: string) => void;
}

const POLL_MS = 250;

export function fileKey(containerId: string, path: string): string {
  return `${containerId}/file:${path}`;
}

export class FilesSource {
  private readonly followers = new Map<string, FileFollower>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly o: FilesSourceOptions) {}

  async start(): Promise<void> {
    await this.tick();
    const loop = () => {
      if (this.stopped) return;
      this.running = this.tick().catch((err: Error) => this.o.warn(`reading files failed: ${err.message}`));
      void this.running.then(() => {
        if (!this.stopped) this.timer = setTimeout(loop, POLL_MS);
      });
    };
    this.timer = setTimeout(loop, POLL_MS);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await Promise.all([...this.followers.values()].map((f) => f.close()));
  }

  private async tick(): Promise<void> {
    const { id, name } = this.o.target;
    for (const g of this.o.globs) {
      for (const path of await expandGlob(g)) {
        if (this.followers.has(path)) continue;
        const key = fileKey(id, path);
        const saved = this.o.checkpoint.data.positions[key] as FilePosition | undefined;
        if (saved?.offset) await this.checkRotatedAway(path, saved);
        this.followers.set(path, new FileFollower(path, saved, this.o.maxLine));
      }
    }
    for (const [path, ff] of this.followers) {
      const lines = await ff.poll();
      if (!lines.length) continue;
      const key = fileKey(id, path);
      const items: Positioned[] = lines.map((l) => {
        const record: Positioned['record'] = { time: new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z'), container: name, container_id: id, stream: path, message: l.message.toString('utf8') };
        if (l.truncated) record.truncated = true;
        return { record, key, position: l.position, bytes: l.message.length };
      });
      const t = this.o.stats.target(id, name);
      t.readTime = items[items.length - 1]?.record.time ?? t.readTime;
      const wait = this.o.pipeline.push(items);
      if (wait) await wait;
    }
  }

  private async checkRotatedAway(path: string, saved: FilePosition): Promise<void> {
    const fh = await open(path, 'r').catch(() => undefined);
    if (!fh) return;
    const fp = await fingerprintOf(fh).finally(() => fh.close());
    if (fp && fp !== saved.fingerprint) {
      const now = new Date().toISOString();
      const { id, name } = this.o.target;
      this.o.checkpoint.data.gaps.push({ container: name, container_id: id, stream: path, from: `offset ${saved.offset} of the previous ${path}`, to: now });
      this.o.stats.target(id, name).gaps++;
      this.o.warn(`gap: ${path} of ${name} was rotated while the shipper was away; what was written to the old file after offset ${saved.offset} is not shipped`);
    }
  }
}
