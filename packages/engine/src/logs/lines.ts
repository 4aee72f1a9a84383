/**
 * Entries back into lines, with positions. Per stream: partial entries are merged up to `maxLine`
 * bytes (the rest is dropped and the line marked truncated, cut on a character boundary); a line's
 * position is the time of its last entry plus how many entries of that stream carried that exact
 * time up to it (so a resume with the inclusive `since` can skip exactly what was delivered).
 * Entries of one split line share one time, so an open line also ends where the time changes (the
 * `local` driver of engine 20.10 drops the newline of a split line's last entry).
 * Resuming: entries at or before a stream's position are skipped; if the first entry at or after it
 * is later than the position although entries at that time had been delivered, those entries are
 * gone from the engine's log (rotated away) and the range is reported as a gap.
 */
import type { LogEntry, LogStream } from './entries.js';

export interface LogPosition {
  ts: string;
  /** Entries of this stream at exactly `ts` already delivered. */
  n: number;
}

export interface LogLine {
  stream: LogStream;
  ts: string;
  message: Buffer;
  truncated: boolean;
  /** Where the stream stands once this line is delivered. */
  position: LogPosition;
}

export interface LogGap {
  stream: LogStream;
  from: string;
  to: string;
}

interface StreamState {
  parts: Buffer[];
  bytes: number;
  truncated: boolean;
  lastTs: string;
  atTs: number;
  resume: LogPosition | undefined;
  /** Entries seen at exactly the resume position's time. */
  resumeSeen: number;
  /** A line has begun (a partial entry was taken) and not ended. */
  open: boolean;
}

export interface LineAssemblerOptions {
  maxLine: number;
  tty?: boolean;
  resume?: Partial<Record<LogStream, LogPosition>>;
}

const NL = 0x0a;
const CR = 0x0d;

export class LogLineAssembler {
  private readonly streams: Record<LogStream, StreamState>;

  constructor(private readonly opts: LineAssemblerOptions) {
    const mk = (s: LogStream): StreamState => ({ parts: [], bytes: 0, truncated: false, lastTs: '', atTs: 0, resume: opts.resume?.[s], resumeSeen: 0, open: false });
    this.streams = { stdout: mk('stdout'), stderr: mk('stderr') };
  }

  push(entries: LogEntry[], out: { lines: LogLine[]; gaps: LogGap[] } = { lines: [], gaps: [] }): { lines: LogLine[]; gaps: LogGap[] } {
    for (const e of entries) {
      const st = this.streams[e.stream];
      // The engine gives every entry of a split line the time of its first entry; the `local`
      // driver (engine 20.10) also drops the last entry's newline. A new time ends the open line.
      if (st.open && e.ts !== st.lastTs) out.lines.push(this.finish(e.stream));
      if (e.ts === st.lastTs) st.atTs++;
      else {
        st.lastTs = e.ts;
        st.atTs = 1;
      }
      const r = st.resume;
      if (r) {
        if (e.ts === r.ts) st.resumeSeen = st.atTs;
        if (e.ts < r.ts || (e.ts === r.ts && st.atTs <= r.n)) continue;
        st.resume = undefined;
        // Fewer entries at the position's time than were delivered: the log no longer holds them.
        if (e.ts > r.ts && st.resumeSeen < r.n) out.gaps.push({ stream: e.stream, from: r.ts, to: e.ts });
      }
      let body = e.payload;
      if (e.last) body = body.subarray(0, body.length - 1);
      if (e.last && this.opts.tty && body.length && body[body.length - 1] === CR) body = body.subarray(0, body.length - 1);
      const room = this.opts.maxLine - st.bytes;
      if (body.length > room) {
        st.truncated = true;
        body = body.subarray(0, Math.max(0, room));
      }
      if (body.length) {
        st.parts.push(body);
        st.bytes += body.length;
      }
      if (e.last) out.lines.push(this.finish(e.stream));
      else st.open = true;
    }
    return out;
  }

  /** A stream that ended (the target stopped) may leave a last line without newline: take it. */
  flush(): LogLine[] {
    const out: LogLine[] = [];
    for (const s of ['stdout', 'stderr'] as const) if (this.streams[s].open) out.push(this.finish(s));
    return out;
  }

  private finish(stream: LogStream): LogLine {
    const st = this.streams[stream];
    let message = st.parts.length === 1 ? (st.parts[0] as Buffer) : Buffer.concat(st.parts, st.bytes);
    if (st.truncated) message = message.subarray(0, utf8Boundary(message));
    const line: LogLine = { stream, ts: st.lastTs, message, truncated: st.truncated, position: { ts: st.lastTs, n: st.atTs } };
    st.parts = [];
    st.bytes = 0;
    st.truncated = false;
    st.open = false;
    return line;
  }
}

/** The longest prefix length of `b` that does not end inside a UTF-8 sequence. */
export function utf8Boundary(b: Buffer): number {
  const end = b.length;
  let i = end - 1;
  while (i >= 0 && ((b[i] as number) & 0xc0) === 0x80) i--;
  if (i < 0) return end;
  const lead = b[i] as number;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return i + need > end ? i : end;
}

