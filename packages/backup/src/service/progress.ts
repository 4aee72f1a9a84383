/** Rendering the sidecar's progress events on a terminal: bytes, files, rate, ETA. */
import { formatBytes, formatDuration, formatRate } from '@dockside/common';
import type { JobEvent } from './job-runner.js';

export interface ProgressSink {
  write(s: string): unknown;
  isTTY?: boolean;
}

export class ProgressRenderer {
  private plan = { files: 0, bytes: 0 };
  private started = Date.now();
  private last = 0;
  private shown = false;
  constructor(
    private readonly out: ProgressSink | undefined,
    private readonly verb: string,
  ) {}

  get enabled(): boolean {
    return Boolean(this.out?.isTTY);
  }

  onEvent(e: JobEvent): void {
    if (e.type === 'warning') return this.line(`warning: ${e.message}`);
    if (e.type !== 'progress') return;
    if (e.name === 'plan') {
      this.plan = { files: e.data.files, bytes: e.data.bytes };
      this.started = Date.now();
    } else if (e.name === 'progress') this.render(e.data.files, e.data.bytes, e.data.stored);
    else if (e.name === 'cleaned') this.line(`removed leftovers of ${e.data.ids.length} incomplete backup(s): ${e.data.ids.join(', ')}`);
  }

  /** A line that stays (warnings), printed above the progress line. */
  line(text: string): void {
    if (!this.out) return;
    if (this.enabled && this.shown) this.out.write('\r\x1b[K');
    this.out.write(`${text}\n`);
  }

  private render(files: number, bytes: number, stored: number): void {
    if (!this.enabled || !this.out) return;
    const now = Date.now();
    if (now - this.last < 200) return;
    this.last = now;
    const secs = Math.max(0.001, (now - this.started) / 1000);
    const rate = bytes / secs;
    const total = this.plan.bytes;
    const pct = total > 0 ? ` ${Math.min(100, Math.floor((bytes / total) * 100))}%` : '';
    const eta = total > 0 && rate > 0 && bytes < total ? `  ETA ${formatDuration(((total - bytes) / rate) * 1000)}` : '';
    const fileText = this.plan.files > 0 ? `  ${files}/${this.plan.files} files` : files > 0 ? `  ${files} files` : '';
    const storedText = stored > 0 ? `  stored ${formatBytes(stored)}` : '';
    this.out.write(`\r\x1b[K${this.verb}${pct}  ${formatBytes(bytes)}${total ? ` / ${formatBytes(total)}` : ''}${fileText}  ${formatRate(rate)}${eta}${storedText}`);
    this.shown = true;
  }

  done(): void {
    if (this.enabled && this.shown && this.out) this.out.write('\r\x1b[K');
    this.shown = false;
  }
}
