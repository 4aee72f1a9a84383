/**
 * The one readiness rule for services: the program reports `ready` on the sidecar protocol (a
 * progress event on its stderr, so in its log) once it does its work, and the starter waits for
 * that event here. An `error` event, the container exiting, an abort or the deadline ends the wait;
 * the caller (startService) then removes what it started.
 */
import { InterruptedError, UserError } from '@dockside/common';
import type { Engine } from '../connection/engine.js';
import { dockerOf } from '../connection/client.js';
import { containerLogTail } from '../containers/log-tail.js';
import { EventReader } from '../streams/event-reader.js';

export interface ReadyWait {
  /** What to call the service in messages ("the log shipper"). */
  what: string;
  /** Default 30 s. */
  timeoutMs?: number;
  /** Called once for each progress event name the first time it shows while waiting (before `ready`). */
  onProgress?: (name: string, data: unknown) => Promise<void> | void;
  /** Ctrl-C or SIGTERM of the command: the wait ends with an InterruptedError. */
  signal?: AbortSignal;
}

const POLL_MS = 100;
/** The container's state is asked every this many polls (a program that crashes before its first event). */
const STATE_EVERY = 5;

/** Resolves with the `ready` event's data. */
export async function waitForReady<R = unknown>(engine: Engine, id: string, role: string, w: ReadyWait): Promise<R> {
  const timeoutMs = w.timeoutMs ?? 30_000;
  const end = Date.now() + timeoutMs;
  const seen = new Set<string>();
  for (let poll = 0; ; poll++) {
    if (w.signal?.aborted) throw new InterruptedError((w.signal.reason as NodeJS.Signals | undefined) ?? 'SIGINT');
    let ready: { data: R } | undefined;
    const fresh: Array<[string, unknown]> = [];
    const reader = new EventReader({
      onEvent: (e) => {
        if (e.type !== 'progress') return;
        if (e.name === 'ready') ready = { data: e.data as R };
        else if (!seen.has(e.name)) {
          seen.add(e.name);
          fresh.push([e.name, e.data]);
        }
      },
    });
    reader.write(Buffer.from(`${await containerLogTail(engine, id, 500)}\n`));
    await reader.finish();
    for (const [name, data] of fresh) await w.onProgress?.(name, data);
    if (ready) return ready.data;
    if (reader.error) throw reader.failure(role, 1);
    const said = reader.textTail.slice(-2).join(' | ');
    if (poll % STATE_EVERY === STATE_EVERY - 1) {
      const state = (
        await (
          await dockerOf(engine)
        )
          .getContainer(id)
          .inspect()
          .catch(() => undefined)
      )?.State;
      if (!state || (!state.Running && !state.Restarting && state.Status !== 'created')) {
        throw new UserError(`${w.what} exited before it was ready (exit ${state?.ExitCode ?? '?'})${said ? `; it said: ${said}` : ''}`, {
          hint: 'rebuild the images (`dockside images build`) if they are older than the CLI; DEBUG=dockside:sidecar shows its whole output',
        });
      }
    }
    if (Date.now() > end) {
      throw new UserError(`${w.what} did not report ready within ${Math.round(timeoutMs / 1000)} s and was removed`, {
        hint: said ? `it said: ${said}` : 'see `docker logs` of a new attempt',
      });
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
