/**
 * RFC 5424 messages and RFC 6587 octet-counting frames. Pure.
 * Facility user (1); severity informational (6) for stdout and files, error (3) for stderr.
 * RFC 5424 allows at most 6 digits of fractional seconds: the nanoseconds are cut to microseconds.
 */
import type { ShipRecord } from '../../record.js';

const NIL = '-';

function printable(s: string, max: number): string {
  const v = s.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return v || NIL;
}

function sdEscape(s: string): string {
  return s.replace(/[\\"\]]/g, (c) => `\\${c}`);
}

export function rfc5424(r: ShipRecord, hostname: string): Buffer {
  const pri = 8 * 1 + (r.stream === 'stderr' ? 3 : 6);
  const time = r.time.length === 30 ? `${r.time.slice(0, 26)}Z` : r.time;
  const sd = `[dockside@32473 container_id="${sdEscape(r.container_id)}" stream="${sdEscape(r.stream)}"]`;
  const head = `<${pri}>1 ${time} ${printable(hostname, 255)} ${printable(r.container, 48)} ${NIL} ${printable(r.stream.startsWith('/') ? 'file' : r.stream, 32)} ${sd} `;
  return Buffer.from(head + r.message);
}

/** RFC 6587 octet counting: `LEN SP MSG`. */
export function octetFrame(msg: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${msg.length} `), msg]);
}
