/**
 * How the capture program inside the sidecar talks to the CLI: one JSON object per line on its
 * stderr, each with a `ds` field naming the event. Everything else on stderr is plain text (warnings).
 * The pcap bytes themselves never travel this way: they go to a bind-mounted file, or to stdout
 * for `-w -`.
 */
import type { CaptureStats } from './render.js';
import type { CaptureSummary } from './summary.js';

export type CaptureEvent =
  | { ds: 'listening'; interface: string; linkType: number; linkTypeName: string; snaplen: number; filter: string }
  | { ds: 'summary'; summary: CaptureSummary; stats: CaptureStats }
  | { ds: 'stats'; stats: CaptureStats; bytesWritten: number }
  | { ds: 'done'; stats: CaptureStats; stoppedBy: StopReason; summary?: CaptureSummary; bytesWritten: number }
  | { ds: 'error'; message: string; hint?: string; code: string; exitCode: number };

export type StopReason = 'count' | 'duration' | 'signal' | 'client-gone' | 'output-closed' | 'error';

export function encodeEvent(e: CaptureEvent): string {
  return `${JSON.stringify(e)}\n`;
}

/** Parse one stderr line: an event, or undefined for plain text. */
export function decodeEvent(line: string): CaptureEvent | undefined {
  if (!line.startsWith('{"ds":')) return undefined;
  try {
    return JSON.parse(line) as CaptureEvent;
  } catch {
    return undefined;
  }
}
