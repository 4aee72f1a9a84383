/**
 * Responding to change (`ambassador --on-change-*`, `dockside watch`): when the set of healthy
 * instances of the upstream changes, run a command in the app or send it a signal, debounced (a
 * burst of changes, as when a whole pool restarts, fires once, with the set as it is after the
 * burst). One action runs at a time; a change during a run fires once more after it, with the
 * newest set. The command gets the set as DOCKSIDE_UPSTREAMS=addr:port,addr:port (sorted; empty
 * when none is healthy) and the service as DOCKSIDE_UPSTREAM.
 *
 * The action goes through the sidecar's api-proxy, which allows exactly it: an exec of this one
 * program in this one container, as the container's own user, or a kill with a signal
 * (discovery/api-access.ts).
 */
import { getJson, postJson, type SocketClient } from '@dockside/engine/logs';
import type { OnChangeAction } from '../config.js';
import type { ChangeReport } from '../events.js';

/** Debounce and serialise; `fire` does the work. Pure logic given the timers. */
export class ChangeDebouncer {
  private timer: NodeJS.Timeout | undefined;
  private pending: string[] | undefined;
  private running = false;

  constructor(
    private readonly debounceMs: number,
    private readonly fire: (set: string[]) => Promise<void>,
  ) {}

  /** The set changed (to `set`). */
  changed(set: string[]): void {
    this.pending = set;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.debounceMs);
  }

  private async flush(): Promise<void> {
    if (this.running) return; // the run in progress flushes again when it ends
    this.running = true;
    try {
      while (this.pending && !this.timer) {
        const set = this.pending;
        this.pending = undefined;
        await this.fire(set);
      }
    } finally {
      this.running = false;
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }
}

const EXEC_TIMEOUT_MS = 60_000;

/** Run the action once for `set`; resolves with what happened (never rejects: a failure is reported). */
export async function runOnChange(client: SocketClient, targetId: string, service: string, action: OnChangeAction, set: string[]): Promise<ChangeReport> {
  const at = new Date().toISOString();
  const base = { at, set, action: action.exec ? `exec ${action.exec.join(' ')}` : `signal ${action.signal ?? ''}` };
  try {
    if (action.signal) {
      await postJson(client, `/containers/${targetId}/kill?signal=${encodeURIComponent(action.signal)}`);
      return { ...base, exitCode: null };
    }
    const created = await postJson<{ Id: string }>(client, `/containers/${targetId}/exec`, {
      Cmd: action.exec,
      Env: [`DOCKSIDE_UPSTREAMS=${set.join(',')}`, `DOCKSIDE_UPSTREAM=${service}`],
      AttachStdout: false,
      AttachStderr: false,
    });
    if (!created?.Id) return { ...base, exitCode: null, error: 'the engine made no exec' };
    await postJson(client, `/exec/${created.Id}/start`, { Detach: true });
    const end = Date.now() + EXEC_TIMEOUT_MS;
    for (;;) {
      const s = await getJson<{ Running: boolean; ExitCode: number | null }>(client, `/exec/${created.Id}/json`);
      if (!s.Running) return { ...base, exitCode: s.ExitCode ?? null, ...(s.ExitCode ? { error: `exit ${s.ExitCode}` } : {}) };
      if (Date.now() > end) return { ...base, exitCode: null, error: `still running after ${EXEC_TIMEOUT_MS / 1000} s (left running)` };
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    return { ...base, exitCode: null, error: (err as Error).message.split('\n')[0] ?? 'failed' };
  }
}
