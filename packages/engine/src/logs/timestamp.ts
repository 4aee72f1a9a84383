/**
 * The engine's log timestamps: with timestamps=1 every log entry starts with a fixed-width RFC 3339
 * time with nanoseconds (`2026-11-22T04:20:27.044610233Z`, 30 characters) and a space. Fixed width
 * and UTC, so two of them compare as strings.
 */
export const TIMESTAMP_WIDTH = 30;
const TS_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;

export function isLogTimestamp(s: string): boolean {
  return s.length === TIMESTAMP_WIDTH && TS_RE.test(s);
}

/** `since` for the logs endpoint: SECONDS.NANOSECONDS (inclusive). */
export function sinceParam(ts: string): string {
  const secs = Math.floor(Date.parse(`${ts.slice(0, 19)}Z`) / 1000);
  return `${secs}.${ts.slice(20, 29)}`;
}

/** Nanoseconds since the epoch, as a decimal string (Loki's timestamp format). */
export function epochNanos(ts: string): string {
  const secs = Math.floor(Date.parse(`${ts.slice(0, 19)}Z`) / 1000);
  return `${secs}${ts.slice(20, 29)}`;
}

/** Seconds since the epoch as a float (lag figures). */
export function epochSeconds(ts: string): number {
  return Date.parse(`${ts.slice(0, 19)}Z`) / 1000 + Number(`0.${ts.slice(20, 29)}`);
}
