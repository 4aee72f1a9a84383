/** How a job reports to the CLI (progress, warnings, its result), and the byte-stream helpers every job shares. */
import { createHash } from 'node:crypto';
import { EventWriter } from '@dockside/sidecar-kit';
import type { BackupJobResult, BackupProgress } from '../events.js';

/** Byte streams with a small buffer (Readable.from defaults to 16 objects: 16 blocks of 4 MiB). */
export const BYTES = { objectMode: false, highWaterMark: 1024 * 1024 };

/** How a job reports to the CLI: progress steps, warnings and its result (stderr, protocol events). */
export type JobEvents = EventWriter<BackupProgress, BackupJobResult>;

export function jobEvents(out?: { write(s: string): unknown }): JobEvents {
  return new EventWriter<BackupProgress, BackupJobResult>(out);
}

export class Progress {
  files = 0;
  bytes = 0;
  stored = 0;
  private timer: NodeJS.Timeout;
  constructor(
    private readonly events: JobEvents,
    everyMs = 500,
  ) {
    this.timer = setInterval(() => this.flush(), everyMs);
    this.timer.unref();
  }
  flush(): void {
    this.events.progress('progress', { files: this.files, bytes: this.bytes, stored: this.stored });
  }
  stop(): void {
    clearInterval(this.timer);
    this.flush();
  }
}
/** Hash and count what flows through, on its way to the destination. */
/** Passes the chunks of `src` through, telling `count` each one's size (the raw bytes read). */
export async function* counted(src: AsyncIterable<Buffer>, count: (bytes: number) => void): AsyncGenerator<Buffer> {
  for await (const c of src) {
    count(c.length);
    yield c;
  }
}

export function hashing(hash: ReturnType<typeof createHash>, count: { n: number }, progress?: Progress) {
  return async function* (src: AsyncIterable<Buffer>) {
    for await (const c of src) {
      hash.update(c);
      count.n += c.length;
      if (progress) progress.stored += c.length;
      yield c;
    }
  };
}
