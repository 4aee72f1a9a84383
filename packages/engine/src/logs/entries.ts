/**
 * Decoding the logs endpoint's bytes (timestamps=1) into entries: one entry per message the engine
 * stored. Without a TTY every entry is one frame (8-byte header: stream, 3 zero bytes, big-endian
 * length); with a TTY there are no headers, only stdout, and an entry ends at its newline. A line
 * longer than the engine's 16 KiB copy buffer is stored as several entries, all but the last without
 * a trailing newline (with a TTY, the next entry's timestamp right after 16 KiB marks the cut).
 * Pure: bytes in, entries out; holds at most one unfinished entry.
 */
import { FrameParser, STREAM_STDERR } from '../streams/demux.js';
import { TIMESTAMP_WIDTH, isLogTimestamp } from './timestamp.js';

export type LogStream = 'stdout' | 'stderr';

export interface LogEntry {
  stream: LogStream;
  /** Fixed-width RFC 3339 time with nanoseconds. */
  ts: string;
  /** The text after the timestamp, newline included when `last`. */
  payload: Buffer;
  /** True when this entry ends a line (its payload ends with a newline). */
  last: boolean;
}

/** The engine's copy buffer: a line longer than this arrives as several entries. */
export const ENGINE_PARTIAL_SIZE = 16 * 1024;
const HEAD = TIMESTAMP_WIDTH + 1;
const NL = 0x0a;

export class LogEntryDecoder {
  private readonly frames = new FrameParser();
  private tty: Buffer = Buffer.alloc(0);

  constructor(
    private readonly isTty: boolean,
    /** Bound for one TTY entry without a newline (it is cut there). */
    private readonly maxTtyEntry = 4 * 1024 * 1024,
  ) {}

  push(chunk: Buffer): LogEntry[] {
    return this.isTty ? this.pushTty(chunk) : this.frames.push(chunk).map((f) => toEntry(f.stream === STREAM_STDERR ? 'stderr' : 'stdout', f.payload));
  }

  /** Bytes held back waiting for the rest of an entry. */
  get pending(): number {
    return this.isTty ? this.tty.length : this.frames.pending;
  }

  private pushTty(chunk: Buffer): LogEntry[] {
    this.tty = this.tty.length ? Buffer.concat([this.tty, chunk]) : chunk;
    const out: LogEntry[] = [];
    for (;;) {
      const buf = this.tty;
      if (buf.length < HEAD) break;
      const nl = buf.indexOf(NL, HEAD);
      const cutAt = HEAD + ENGINE_PARTIAL_SIZE;
      let end: number;
      if (nl >= 0 && nl < cutAt) end = nl + 1;
      else if (buf.length >= cutAt + HEAD && isLogTimestamp(buf.toString('latin1', cutAt, cutAt + TIMESTAMP_WIDTH)) && buf[cutAt + TIMESTAMP_WIDTH] === 0x20) end = cutAt;
      else if (nl >= 0 && buf.length >= cutAt + HEAD) end = nl + 1;
      else if (buf.length > this.maxTtyEntry) end = buf.length;
      else break;
      out.push(toEntry('stdout', buf.subarray(0, end)));
      this.tty = buf.subarray(end);
    }
    return out;
  }
}

function toEntry(stream: LogStream, raw: Buffer): LogEntry {
  const hasTs = raw.length >= TIMESTAMP_WIDTH && raw[TIMESTAMP_WIDTH] === 0x20;
  const ts = hasTs ? raw.toString('latin1', 0, TIMESTAMP_WIDTH) : '0001-01-01T00:00:00.000000000Z';
  const payload = hasTs ? raw.subarray(HEAD) : raw;
  return { stream, ts, payload, last: payload.length > 0 && payload[payload.length - 1] === NL };
}
