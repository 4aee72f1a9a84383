/**
 * Ctrl-C, SIGTERM and SIGHUP while a change is under way: remembered, not fatal, so the change
 * stops at the next step boundary and cleans up (a staged copy removed, an editor stopped). A
 * sidecar running at that moment is stopped and removed by runSidecar, which throws
 * InterruptedError itself.
 */
import { InterruptedError } from '@dockside/common';

export class SignalGuard {
  signal: NodeJS.Signals | undefined;
  private readonly listeners: Array<(sig: NodeJS.Signals) => void> = [];
  private readonly onSignal = (sig: NodeJS.Signals) => {
    this.signal ??= sig;
    for (const l of this.listeners) l(sig);
  };

  constructor() {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, this.onSignal);
  }

  /** Also call `f` on a signal (e.g. to stop an editor). */
  onInterrupt(f: (sig: NodeJS.Signals) => void): void {
    this.listeners.push(f);
  }

  /** Throws InterruptedError once a signal came. */
  check(): void {
    if (this.signal) throw new InterruptedError(this.signal);
  }

  dispose(): void {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, this.onSignal);
  }
}
