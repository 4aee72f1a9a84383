/**
 * The one reader of the sidecar protocol (@dockside/common `protocol.ts`): a Writable that takes a
 * sidecar's stderr (demuxed), splits it into lines on the newline byte, and decodes a line only once
 * it is whole, so a multi-byte character split across chunks stays intact. Events go to `onEvent`,
 * other lines to `onText`; a bounded tail of text lines is kept to explain a failure.
 *
 * Bounded: a line longer than `maxLineBytes` is cut there (the rest of it is dropped up to its
 * newline) and counted in `truncatedLines`.
 */
import { Writable } from 'node:stream';
import { decodeLine, UserError, type ErrorEvent, type ProgressMap, type SidecarEvent } from '@dockside/common';
import { LineSplitter } from './line-splitter.js';
import createDebug from 'debug';

const debug = createDebug('dockside:sidecar');

export interface EventReaderOptions<M extends ProgressMap, R> {
  onEvent?: (e: SidecarEvent<M, R>) => void;
  onText?: (line: string) => void;
  /** Longest line kept whole (default 4 MiB: a result can be large). */
  maxLineBytes?: number;
  /** How many text lines to keep for `textTail` (default 50). */
  keepText?: number;
}

export class EventReader<M extends ProgressMap = ProgressMap, R = unknown> extends Writable {
  private readonly lines: LineSplitter;
  readonly textTail: string[] = [];
  truncatedLines = 0;
  invalidLines = 0;
  /** The last `error` event, if the sidecar sent one. */
  error: ErrorEvent | undefined;
  /** The `result` event's data, if the sidecar sent one. */
  result: R | undefined;
  warnings: string[] = [];
  private readonly maxLine: number;
  private readonly keepText: number;

  constructor(private readonly opts: EventReaderOptions<M, R> = {}) {
    super();
    this.maxLine = opts.maxLineBytes ?? 4 * 1024 * 1024;
    this.keepText = opts.keepText ?? 50;
    this.lines = new LineSplitter((line, truncated) => this.onLine(line, truncated), this.maxLine);
  }

  override _write(chunk: Buffer, _e: BufferEncoding, cb: (err?: Error | null) => void): void {
    try {
      this.lines.write(chunk);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  override _final(cb: (err?: Error | null) => void): void {
    try {
      this.lines.end();
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  private onLine(text: string, truncated: boolean): void {
    if (truncated) this.truncatedLines++;
    let line = text;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const d = truncated ? ({ kind: 'text', text: line } as const) : decodeLine(line);
    if (d.kind === 'event') {
      const e = d.event as SidecarEvent<M, R>;
      if (e.type === 'error') this.error = e;
      else if (e.type === 'result') this.result = e.data as R;
      else if (e.type === 'warning') this.warnings.push(e.message);
      this.opts.onEvent?.(e);
      return;
    }
    if (d.kind === 'invalid') this.invalidLines++;
    if (!d.text.trim()) return;
    this.textTail.push(d.text);
    if (this.textTail.length > this.keepText) this.textTail.shift();
    this.opts.onText?.(d.text);
  }

  /** Resolves once everything written has been read (call after the sidecar's output ended). */
  finish(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.writableFinished) return resolve();
      this.once('error', reject);
      this.end(() => resolve());
    });
  }

  /**
   * Why a sidecar that exited with `exitCode` failed, as a user error: its `error` event if it sent
   * one, else the last lines it printed.
   */
  failure(role: string, exitCode: number): UserError {
    if (this.error) {
      return new UserError(this.error.message, {
        exitCode: this.error.exitCode || exitCode || 1,
        code: this.error.code,
        ...(this.error.hint ? { hint: this.error.hint } : {}),
      });
    }
    if (exitCode === 137) return new UserError(`the ${role} sidecar was killed (exit 137)`);
    debug('the %s sidecar exited %d without an error event; its last lines:\n%s', role, exitCode, this.textTail.join('\n'));
    const tail = this.textTail.slice(-3).join(' | ');
    return new UserError(`the ${role} sidecar failed with exit code ${exitCode}${tail ? `: ${tail}` : ''}`);
  }
}
