/**
 * file:///dir: one NDJSON file, `dir/logs.ndjson`. Idempotent across kills: a batch is written at
 * the committed length and fsynced, and the new length is committed with the positions (one atomic
 * checkpoint); on start, anything past the committed length (a batch written but not committed, a
 * torn tail) is truncated away, and those lines are read and written again.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { BugError, UserError } from '@dockside/common';
import type { ShipRecord } from '../../record.js';
import { NdjsonEncoder, type Sink } from '../sink.js';

export const FILE_SINK_NAME = 'logs.ndjson';

export class FileSink implements Sink {
  readonly kind = 'file';
  private readonly encoder = new NdjsonEncoder();
  private fh: FileHandle | undefined;
  private committed = 0;
  /** Bytes cut off at start (an uncommitted tail). */
  truncatedAtStart = 0;

  constructor(private readonly dir: string) {}

  /** The commit state to checkpoint (also before the first batch, see program/ship.ts). */
  get state(): { committed: number } {
    return { committed: this.committed };
  }

  async open(state: unknown): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true });
      this.fh = await open(join(this.dir, FILE_SINK_NAME), 'a+');
    } catch (err) {
      throw new UserError(`cannot write to ${this.dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
        code: 'ESINK',
        hint: 'check the directory exists and is writable',
      });
    }
    const size = (await this.fh.stat()).size;
    const saved = (state as { committed?: number } | undefined)?.committed;
    this.committed = typeof saved === 'number' && saved <= size ? saved : size;
    if (size > this.committed) {
      this.truncatedAtStart = size - this.committed;
      await this.fh.truncate(this.committed);
      await this.fh.sync();
    }
  }

  async send(records: ShipRecord[]): Promise<unknown> {
    if (!this.fh) throw new BugError('file sink not open');
    const buf = Buffer.from(this.encoder.lines(records));
    let off = 0;
    while (off < buf.length) {
      const { bytesWritten } = await this.fh.write(buf, off, buf.length - off, this.committed + off);
      off += bytesWritten;
    }
    await this.fh.datasync();
    this.committed += buf.length;
    return { committed: this.committed };
  }

  async close(): Promise<void> {
    await this.fh?.close();
    this.fh = undefined;
  }
}
