/** In-memory sinks for a sidecar's (or an exec's) output, always bounded. */
import { Writable } from 'node:stream';
import { UserError } from '@dockside/common';

/**
 * Keeps output up to `limit` bytes. Past it, the rest is dropped (`overflow: 'drop'`, the default)
 * or the stream fails with `overflowMessage` (`overflow: 'error'`), for output that must be whole.
 */
export class OutputBuffer extends Writable {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(
    private readonly limit: number,
    private readonly opts: { overflow?: 'drop' | 'error'; overflowMessage?: string } = {},
  ) {
    super();
  }
  override _write(chunk: Buffer, _e: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.size + chunk.length > this.limit && this.opts.overflow === 'error') {
      return cb(new UserError(this.opts.overflowMessage ?? `output larger than ${this.limit} bytes`, { code: 'ETOOLARGE' }));
    }
    if (this.size < this.limit) {
      this.chunks.push(chunk);
      this.size += chunk.length;
    }
    cb();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** Keeps only the last `keep` characters of the output: enough to quote why a command failed. */
export class OutputTail extends Writable {
  text = '';
  constructor(private readonly keep = 2000) {
    super();
  }
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void): void {
    this.text = (this.text + chunk.toString()).slice(-this.keep);
    cb();
  }
  /** The last non-empty line. */
  lastLine(): string {
    return this.text.trim().split('\n').pop() ?? '';
  }
}
