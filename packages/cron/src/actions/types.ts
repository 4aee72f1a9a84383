/** What every action gets and returns. */
import type { Engine } from '@dockside/engine';
import type { Job } from '../jobs/model.js';

export interface ActionContext {
  engine: Engine;
  /** The scheduler's name, on the one-off containers it starts (SCHEDULER_LABEL). */
  scheduler: string;
  version: string;
  /** The backup sidecar image the `dockside backup` action starts. */
  backupImage: string;
  /** Host directories mounted at the same path in the scheduler (backup destinations may lie under them). */
  backupDirs: string[];
}

export interface ActionRun {
  runId: string;
  job: Job;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Resolves with a reason when the run must end now (overlap "replace", scheduler stopping). */
  cancel: Promise<string>;
  /** What to clean up should the scheduler die during the run. */
  onProc(p: { container?: string; execId?: string; pid?: number; tag?: string; runContainer?: string }): void;
}

export interface ActionResult {
  /** `skipped`: nothing ran (the target was found not running as the run began); `error` says why. */
  status: 'succeeded' | 'failed' | 'timeout' | 'interrupted' | 'skipped';
  exitCode: number | null;
  error?: string;
}

/** Resolves after `ms` with 'timeout' (never when ms is undefined). */
export function timeoutAfter(ms: number | undefined): { promise: Promise<'timeout'>; clear(): void } {
  let t: NodeJS.Timeout | undefined;
  const promise = new Promise<'timeout'>((resolve) => {
    if (ms !== undefined) t = setTimeout(() => resolve('timeout'), ms);
  });
  return { promise, clear: () => t && clearTimeout(t) };
}
