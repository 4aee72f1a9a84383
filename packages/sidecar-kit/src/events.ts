/**
 * The sidecar side of the protocol (@dockside/common `protocol.ts`): an in-container program reports
 * progress, warnings, its result and its error through one EventWriter, on stderr by default.
 */
import { encodeEvent, type EventBody, type ProgressMap } from '@dockside/common';

export interface EventOutput {
  write(s: string): unknown;
}

export class EventWriter<M extends ProgressMap = ProgressMap, R = unknown> {
  constructor(private readonly out: EventOutput = process.stderr) {}

  progress<K extends keyof M & string>(name: K, data: M[K]): void {
    this.emit({ type: 'progress', name, data } as unknown as EventBody<M, R>);
  }

  result(data: R): void {
    this.emit({ type: 'result', data } as unknown as EventBody<M, R>);
  }

  warning(message: string, code?: string): void {
    this.emit({ type: 'warning', message, ...(code ? { code } : {}) } as unknown as EventBody<M, R>);
  }

  error(e: { message: string; hint?: string | undefined; code: string; exitCode: number }): void {
    this.emit({ type: 'error', message: e.message, ...(e.hint ? { hint: e.hint } : {}), code: e.code, exitCode: e.exitCode } as unknown as EventBody<M, R>);
  }

  private emit(e: EventBody<M, R>): void {
    this.out.write(encodeEvent(e));
  }
}
