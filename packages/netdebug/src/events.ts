/**
 * What the capture program inside the sidecar reports to the CLI, in the sidecar protocol
 * (@dockside/common `protocol.ts`): `listening`, `stats` and `summary` progress steps, and a `done`
 * result; a failure is the protocol's `error` event. The pcap bytes themselves never travel this
 * way: they go to a bind-mounted file, or to stdout for `-w -`. Plain types, no I/O.
 */
import type { WriteFailure } from '@dockside/common';
import type { CaptureStats } from './render.js';
import type { CaptureSummary } from './summary.js';

export type StopReason = 'count' | 'duration' | 'signal' | 'client-gone' | 'output-closed' | 'output-failed' | 'target-exited' | 'error';

/** A type alias, not an interface: ProgressMap needs an index signature. */
export type CaptureProgress = {
  listening: { interface: string; linkType: number; linkTypeName: string; snaplen: number; filter: string };
  /** Counts so far (a live display while writing a file). */
  stats: { stats: CaptureStats; bytesWritten: number };
  /** The summary so far (with --summary and an interval). */
  summary: { summary: CaptureSummary; stats: CaptureStats };
};

/** The result: why and how the capture ended. */
export interface CaptureDone {
  stats: CaptureStats;
  stoppedBy: StopReason;
  summary?: CaptureSummary;
  bytesWritten: number;
  /** Why the output could not be written (stoppedBy 'output-failed'): errno code and reason. */
  outputFailure?: WriteFailure;
}
