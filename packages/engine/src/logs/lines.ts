/**
 * Entries back into lines, with positions. Per stream: partial entries are merged up to `maxLine`
 * bytes (the rest is dropped and the line marked truncated, cut on a character boundary); a line's
 * position is the time of its last entry plus how many entries of that stream carried that exact
 * time up to it (so a resume with the inclusive `since` can skip exactly what was delivered).
 * Entries of one split line share one time, so an open line also ends where the time changes (the
 * `local` driver of engine 20.10 drops the newline of a split line's last entry).
 * Skipping what was delivered: entries at or before a position are skipped, both at a resume (the
 * checkpoint's position) and whenever the engine sends again what it already sent (engine 20.10's
 * follow does at json-file rotation: the time steps back, or the last entry comes again with its
 * own time). Only entries past the position count, so positions stay exact across repeats.
 * At a resume, if the first entry at or after the position is later than it although entries at
 * that time had been delivered, those entries are gone from the engine's log (rotated away) and
 * the range is reported as a gap.
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
  /** Position of the last entry taken: its time and how many taken entries carried that time. */
  lastTs: string;
  atTs: number;
  /** Payloads of the entries taken at `lastTs` (to recognise one sent again). */
  atTsPayloads: Buffer[];
  /** While set, entries up to this position are skipped (delivered already). */
  skip: Skip | undefined;
  /** A line has begun (a partial entry was taken) and not ended. */
  open: boolean;
}

interface Skip extends LogPosition {
  /** Entries seen at exactly `ts` while skipping. */
  seen: number;
  /** Skipping to a checkpoint's position (a shortfall there is a gap), not over a repeat. */
  resume: boolean;
}

/** Entries of one split line share one time: at most this many payloads are kept per time. */
const MAX_PAYLOADS_AT_TS = 1024;

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
    const mk = (s: LogStream): StreamState => {
      const r = opts.resume?.[s];
      return { parts: [], bytes: 0, truncated: false, lastTs: r?.ts ?? '', atTs: r?.n ?? 0, atTsPayloads: [], skip: r ? { ...r, seen: 0, resume: true } : undefined, open: false };
    };
    this.streams = { stdout: mk('stdout'), stderr: mk('stderr') };
  }

  push(entries: LogEntry[], out: { lines: LogLine[]; gaps: LogGap[] } = { lines: [], gaps: [] }): { lines: LogLine[]; gaps: LogGap[] } {
    for (const e of entries) {
      const st = this.streams[e.stream];
      if (!st.skip && st.lastTs) {
        if (e.ts < st.lastTs) st.skip = { ts: st.lastTs, n: st.atTs, seen: 0, resume: false };
        else if (e.ts === st.lastTs && !st.open) {
          // The line at this time has ended, so an entry at the same time is one sent again.
          const i = st.atTsPayloads.findIndex((p) => p.equals(e.payload));
          if (i >= 0) st.skip = { ts: st.lastTs, n: st.atTs, seen: i, resume: false };
        }
      }
      const k = st.skip;
      if (k) {
        if (e.ts < k.ts) continue;
        if (e.ts === k.ts && ++k.seen <= k.n) continue;
        st.skip = undefined;
        // Fewer entries at the position's time than were delivered: the log no longer holds them.
        if (k.resume && e.ts > k.ts && k.seen < k.n) out.gaps.push({ stream: e.stream, from: k.ts, to: e.ts });
      }
      // The engine gives every entry of a split line the time of its first entry; the `local`
      // driver (engine 20.10) also drops the last entry's newline. A new time ends the open line.
      if (st.open && e.ts !== st.lastTs) out.lines.push(this.finish(e.stream));
      if (e.ts === st.lastTs) {
        st.atTs++;
        if (st.atTsPayloads.length < MAX_PAYLOADS_AT_TS) st.atTsPayloads.push(e.payload);
      } else {
        st.lastTs = e.ts;
        st.atTs = 1;
        st.atTsPayloads = [e.payload];
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
