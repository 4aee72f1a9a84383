/**
 * Multi-line grouping (--multiline-start): a line that matches the start pattern begins a record;
 * the lines after it that do not match are appended to it. Pure; the caller flushes a pending
 * record after a short quiet time. The record keeps the first line's time and the last line's
 * position.
 */
import type { LogLine } from '@dockside/engine/logs';

export class MultilineGrouper {
  private pending: LogLine[] = [];
  private bytes = 0;

  constructor(
    private readonly start: RegExp,
    private readonly maxBytes: number,
  ) {}

  push(line: LogLine): LogLine[] {
    const starts = this.start.test(line.message.toString('utf8'));
    const out: LogLine[] = [];
    if (starts || this.bytes + line.message.length + 1 > this.maxBytes) {
      const g = this.flush();
      if (g) out.push(g);
    }
    this.pending.push(line);
    this.bytes += line.message.length + 1;
    return out;
  }

  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  flush(): LogLine | undefined {
    const p = this.pending;
    if (!p.length) return undefined;
    this.pending = [];
    this.bytes = 0;
    const first = p[0] as LogLine;
    const last = p[p.length - 1] as LogLine;
    if (p.length === 1) return first;
    return {
      stream: first.stream,
      ts: first.ts,
      message: Buffer.concat(p.flatMap((l, i) => (i ? [Buffer.from('\n'), l.message] : [l.message]))),
      truncated: p.some((l) => l.truncated),
      position: last.position,
    };
  }
}
