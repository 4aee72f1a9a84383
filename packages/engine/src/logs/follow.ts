/**
 * Following one container's log through GET /containers/{id}/logs (timestamps=1, since with
 * nanoseconds, follow): bytes -> entries -> lines with positions, with backpressure (the response is
 * paused while `onLines` has not settled), so memory stays bounded whatever the rate.
 */
import { LogEntryDecoder, type LogStream } from './entries.js';
import { LogLineAssembler, type LogGap, type LogLine, type LogPosition } from './lines.js';
import { openStream, type SocketClient } from './request.js';
import { sinceParam } from './timestamp.js';

export interface FollowOptions {
  tty: boolean;
  follow: boolean;
  maxLine: number;
  resume?: Partial<Record<LogStream, LogPosition>>;
  /** Receives the lines of each chunk; the stream waits for it. */
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
      let busy = false;
      let ended = false;
      const queue: Buffer[] = [];
      const pump = async () => {
        if (busy) return;
        busy = true;
        try {
          while (queue.length) {
            const chunk = queue.shift() as Buffer;
            const { lines, gaps } = assembler.push(decoder.push(chunk));
            if (lines.length || gaps.length) await opts.onLines(lines, gaps);
          }
        } catch (err) {
          res.destroy();
          return reject(err as Error);
        } finally {
          busy = false;
        }
        if (ended) resolve();
        else res.resume();
      };
      res.on('data', (c: Buffer) => {
        queue.push(c);
        res.pause();
        void pump();
      });
      res.on('end', () => {
        ended = true;
        if (!busy && !queue.length) resolve();
      });
      res.on('error', (e) => (aborted ? resolve() : reject(e)));
      res.on('close', () => {
        if (aborted) resolve();
        else if (!ended) {
          ended = true;
          if (!busy && !queue.length) resolve();
        }
      });
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
