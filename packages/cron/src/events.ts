/**
 * The scheduler's sidecar protocol (@dockside/common protocol.ts), typed: `serve` reports `ready`
 * (the engine's readiness rule); the control commands (`ls`, `history`, `run`, exec'd in the
 * scheduler by the CLI) each end with one result. Plain types, no I/O.
 */
import type { HistoryRow, JobRow } from './program/report.js';

/** A type alias, not an interface: ProgressMap needs an index signature. */
export type SchedulerProgress = {
  /** Recovery has run and the control server answers. */
  ready: { name: string; jobs: number };
};

export interface LsResult {
  at: string | null;
  jobs: JobRow[];
}

export interface HistoryResult {
  runs: HistoryRow[];
}

/** `run`'s result: the run as it ended, or why there was none (`known`: the jobs there are). */
export interface RunResult {
  run?: string;
  status?: string;
  exitCode?: number | null;
  error?: string;
  known?: string[];
}
