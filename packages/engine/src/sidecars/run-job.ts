/**
 * A one-off container run as a scheduled job: created from the job's image with dockside's labels
 * (so a scheduler that died mid-run finds and removes it), output streamed, removed after; on
 * timeout it is stopped (SIGTERM, SIGKILL after the grace period) and removed.
 */
import type { Engine } from '../connection/engine.js';
import { stopContainer } from '../containers/lifecycle.js';
import { runSidecar } from './run.js';

export interface RunJobSpec {
  image: string;
  /** Command (argv); the image's default when absent. */
  cmd?: string[];
  role: string;
  version: string;
  session: string;
  labels: Record<string, string>;
  env?: Record<string, string>;
  networkMode?: string;
}

export interface RunJobOptions {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  timeoutMs?: number;
  /** Seconds between SIGTERM and SIGKILL when the timeout stops it. */
  stopGraceS?: number;
  onStarted?: (id: string) => void;
  /** Resolves when the caller wants the run ended now (e.g. overlap policy "replace"). */
  cancel?: Promise<void>;
}

export async function runJobContainer(engine: Engine, spec: RunJobSpec, opts: RunJobOptions): Promise<{ id: string; exitCode: number; timedOut: boolean; cancelled: boolean }> {
  let timedOut = false;
  let cancelled = false;
  let timer: NodeJS.Timeout | undefined;
  let id = '';
  const stop = () => (id ? stopContainer(engine, id, opts.stopGraceS ?? 2).catch(() => undefined) : undefined);
  void opts.cancel?.then(() => {
    cancelled = true;
    void stop();
  });
  try {
    const r = await runSidecar(
      engine,
      {
        role: spec.role,
        image: spec.image,
        version: spec.version,
        session: spec.session,
        ...(spec.cmd ? { cmd: spec.cmd } : {}),
        labels: spec.labels,
        ...(spec.env ? { env: spec.env } : {}),
        ...(spec.networkMode ? { networkMode: spec.networkMode } : {}),
      },
      {
        stdout: opts.stdout,
        stderr: opts.stderr,
        handleSignals: false,
        onStarted: (cid) => {
          id = cid;
          opts.onStarted?.(cid);
          if (cancelled) void stop();
          if (opts.timeoutMs) {
            timer = setTimeout(() => {
              timedOut = true;
              void stop();
            }, opts.timeoutMs);
          }
        },
      },
    );
    return { id: r.id, exitCode: r.exitCode, timedOut, cancelled };
  } finally {
    if (timer) clearTimeout(timer);
  }
}
