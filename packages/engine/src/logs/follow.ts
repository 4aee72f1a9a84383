/**
 * Following one container's log through GET /containers/{id}/logs (timestamps=1, since with
 * nanoseconds, follow): bytes -> entries -> lines with positions, with backpressure (the response is
 * paused while `onLines` has not settled), so memory stays bounded whatever the rate.
 */
import { LogEntryDecoder, type LogStream } from './entries.js';
import { LogLineAssembler, type LogGap, type LogLine, type LogPosition } from './lines.js';
import { openStream, type SocketClient } from '../connection/socket.js';
import { sinceParam } from './timestamp.js';

export interface FollowOptions {
  tty: boolean;
  follow: boolean;
  maxLine: number;
  resume?: Partial<Record<LogStream, LogPosition>>;
  /** Receives the lines of each chunk; when it returns a promise, reading waits for it. */
  onLines: (lines: LogLine[], gaps: LogGap[]) => Promise<void> | void;
  /** Abort signal: ends the follow (resolves as `aborted`). */
  signal?: AbortSignal;
}

export interface FollowEnd {
  /** Lines held back without their newline when the stream ended. */
  assembler: LogLineAssembler;
  aborted: boolean;
}

/** Resolves when the engine ends the stream (the container stopped, or follow=false). */
export async function followLogs(client: SocketClient, id: string, opts: FollowOptions): Promise<FollowEnd> {
  const since = earliest(opts.resume);
  const q = `stdout=1&stderr=1&timestamps=1&follow=${opts.follow ? 1 : 0}${since ? `&since=${sinceParam(since)}` : ''}`;
  const { res, abort } = await openStream(client, `/containers/${encodeURIComponent(id)}/logs?${q}`);
  const decoder = new LogEntryDecoder(opts.tty, opts.maxLine + 64 * 1024);
  const assembler = new LogLineAssembler({ maxLine: opts.maxLine, tty: opts.tty, ...(opts.resume ? { resume: opts.resume } : {}) });
  let aborted = false;
  const onAbort = () => {
    aborted = true;
    abort();
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await new Promise<void>((resolve, reject) => {
      let ended = false;
      let waiting = false;
      const fail = (err: Error) => {
        res.destroy();
        reject(err);
      };
      res.on('data', (chunk: Buffer) => {
        let pending: Promise<void> | void = undefined;
        try {
          const { lines, gaps } = assembler.push(decoder.push(chunk));
          if (lines.length || gaps.length) pending = opts.onLines(lines, gaps);
        } catch (err) {
          return fail(err as Error);
        }
        if (!pending) return;
        // Only when the consumer is full: stop reading until it has room (backpressure).
        res.pause();
        waiting = true;
        pending.then(
          () => {
            waiting = false;
            if (ended) resolve();
            else res.resume();
          },
          (err: Error) => fail(err),
        );
      });
      const finish = () => {
        if (ended) return;
        ended = true;
        if (!waiting) resolve();
      };
      res.on('end', finish);
      res.on('close', () => (aborted ? resolve() : finish()));
      res.on('error', (e) => (aborted ? resolve() : reject(e)));
    });
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  return { assembler, aborted };
}

function earliest(resume: Partial<Record<LogStream, LogPosition>> | undefined): string | undefined {
  const a = resume?.stdout?.ts;
  const b = resume?.stderr?.ts;
  if (a && b) return a < b ? a : b;
  // Only one stream has a position: the other must start from the beginning.
  return undefined;
}
