/**
 * The files source (--files): log files the target writes into its volumes, which the shipper
 * joins read-only (--volumes-from). Every 250 ms the globs are expanded again; each file is
 * followed by a FileFollower from its position (fingerprint + offset, advanced only after the sink
 * acknowledged). A file whose fingerprint no longer matches its saved position was rotated while
 * the shipper was away: the old file is looked for among its rotated siblings (`app.log.1`,
 * `app.log-20261122`, not compressed ones) by fingerprint and read from the saved offset to its
 * end first; only when it is gone (deleted, compressed, truncated by copytruncate) is the unread
 * rest reported as a gap. Then the new file is read from its start.
 */
import type { CheckpointStore } from '../checkpoint/store.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { Positioned } from '../record.js';
import type { ShipStats } from '../stats.js';
import { FileFollower, fingerprintOf, type FileLine, type FilePosition } from './file-follower.js';
import { expandGlob } from './glob.js';
import { open, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface FilesSourceOptions {
  globs: string[];
  target: { id: string; name: string; volumes: string[] };
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
    const { id } = this.o.target;
    const matched = new Set<string>();
    for (const g of this.o.globs) for (const path of await expandGlob(g, this.o.target.volumes)) matched.add(path);
    for (const path of matched) {
      if (this.followers.has(path)) continue;
      const saved = this.o.checkpoint.data.positions[fileKey(id, path)] as FilePosition | undefined;
      if (saved?.offset) await this.checkRotatedAway(path, saved, matched);
      this.followers.set(path, new FileFollower(path, saved, this.o.maxLine));
    }
    for (const [path, ff] of this.followers) {
      const lines = await ff.poll();
      if (lines.length) await this.push(path, lines);
    }
  }

  /** Lines of the file followed as `path` into the pipeline (positions under that path's key). */
  private async push(path: string, lines: FileLine[]): Promise<void> {
    const { id, name } = this.o.target;
    const key = fileKey(id, path);
    const items: Positioned[] = lines.map((l) => {
      const record: Positioned['record'] = {
        time: new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z'),
        container: name,
        container_id: id,
        stream: path,
        message: l.message.toString('utf8'),
      };
      if (l.truncated) record.truncated = true;
      return { record, key, position: l.position, bytes: l.message.length };
    });
    const t = this.o.stats.target(id, name);
    t.readTime = items[items.length - 1]?.record.time ?? t.readTime;
    const wait = this.o.pipeline.push(items);
    if (wait) await wait;
  }

  private async checkRotatedAway(path: string, saved: FilePosition, matched: Set<string>): Promise<void> {
    const fh = await open(path, 'r').catch(() => undefined);
    if (!fh) return;
    const fp = await fingerprintOf(fh).finally(() => fh.close());
    if (fp && fp !== saved.fingerprint) {
      if (await this.drainRotated(path, saved, matched)) return;
      const now = new Date().toISOString();
      const { id, name } = this.o.target;
      this.o.checkpoint.data.gaps.push({ container: name, container_id: id, stream: path, from: `offset ${saved.offset} of the previous ${path}`, to: now });
      this.o.stats.target(id, name).gaps++;
      this.o.warn(`gap: ${path} of ${name} was rotated while the shipper was away; what was written to the old file after offset ${saved.offset} is not shipped`);
    }
  }

  /**
   * The file last followed as `path`, renamed away while the shipper was down: found among the
   * siblings named `<name>.*` or `<name>-*` by its fingerprint and read from the saved offset to its
   * end. A sibling the globs match itself is followed on its own and is not drained here.
   */
  private async drainRotated(path: string, saved: FilePosition, matched: Set<string>): Promise<boolean> {
    const dir = dirname(path);
    const base = basename(path);
    const names = await readdir(dir).catch(() => [] as string[]);
    const candidates = names
      .filter((n) => n !== base && (n.startsWith(`${base}.`) || n.startsWith(`${base}-`)) && !COMPRESSED.test(n))
      .map((n) => join(dir, n))
      .filter((p) => !matched.has(p));
    for (const p of candidates) {
      const fh = await open(p, 'r').catch(() => undefined);
      if (!fh) continue;
      const fp = await fingerprintOf(fh).finally(() => fh.close());
      if (fp !== saved.fingerprint) continue;
      const old = new FileFollower(p, saved, this.o.maxLine);
      try {
        for (;;) {
          const lines = await old.poll();
          if (!lines.length) break;
          await this.push(path, lines);
        }
      } finally {
        await old.close();
      }
      this.o.warn(`${path} of ${this.o.target.name} was rotated to ${p} while the shipper was away; its unshipped rest was read from there`);
      return true;
    }
    return false;
  }
}

const COMPRESSED = /\.(gz|zst|bz2|xz|zip|lz4)$/;
