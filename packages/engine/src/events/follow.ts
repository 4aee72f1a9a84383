/**
 * The one follower of the engine's event stream (GET /events with filters): one reconnect loop with
 * a doubling delay, one byte-safe line decoder. Only the transport differs (dockerode's getEvents
 * in stream.ts, the raw socket in watch.ts), given as `open`. Events sent while the stream was down
 * are not replayed: `onConnect`/`onReconnect` tell the caller to re-list what it may have missed.
 */
import { LineSplitter } from '../streams/line-splitter.js';

export interface EngineEvent {
  Type: string;
  Action: string;
  id?: string;
  time?: number;
  Actor?: { ID: string; Attributes?: Record<string, string> };
}

/** An open event stream and how to close it. */
export interface OpenedEvents {
  stream: NodeJS.ReadableStream;
  close: () => void;
}

export interface FollowOptions {
  onEvent: (e: EngineEvent) => void;
  /** After each successful connection, the first one too. */
  onConnect?: () => void;
  /** After each connection that follows a drop (not the first). */
  onReconnect?: () => void;
  /** Each time the stream drops or a connection attempt fails (it is retried). */
  onDrop?: (err?: Error) => void;
  /** First delay before a reconnect (default 250 ms); it doubles on each failure. */
  minBackoffMs?: number;
  /** Longest delay between attempts. */
  maxBackoffMs: number;
  /** Diagnostics (a `debug` logger where the caller has one; sidecar bundles stay without it). */
  debug?: (message: string) => void;
}

/** Follows the stream `open` gives until the returned stop function is called. */
export function followEventStream(open: () => Promise<OpenedEvents>, opts: FollowOptions): () => void {
  const min = opts.minBackoffMs ?? 250;
  let stopped = false;
  let close: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let delay = min;
  let connects = 0;

  const retry = (err?: Error) => {
    close = undefined;
    if (stopped) return;
    opts.onDrop?.(err);
    const wait = Math.min(delay, opts.maxBackoffMs);
    delay = Math.min(delay * 2, opts.maxBackoffMs);
    opts.debug?.(`event stream dropped (${err?.message ?? 'end'}); reconnecting in ${wait} ms`);
    timer = setTimeout(connect, wait);
  };

  const connect = () => {
    if (stopped) return;
    open().then(
      (opened) => {
        if (stopped) return opened.close();
        close = opened.close;
        delay = min;
        opts.onConnect?.();
        if (connects++ > 0) opts.onReconnect?.();
        const lines = new LineSplitter((raw, truncated) => {
          const line = raw.trim();
          if (!line || truncated) return; // a runaway line is dropped, not parsed
          try {
            opts.onEvent(JSON.parse(line) as EngineEvent);
          } catch (err) {
            opts.debug?.(`bad event line or handler failure: ${(err as Error).message}`);
          }
        });
        opened.stream.on('data', (chunk: Buffer | string) => lines.write(chunk));
        let done = false;
        const end = (err?: Error) => {
          if (done) return;
          done = true;
          retry(err);
        };
        opened.stream.on('error', (err: Error) => end(err));
        opened.stream.on('end', () => end());
        opened.stream.on('close', () => end());
      },
      (err: Error) => retry(err),
    );
  };

  connect();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    close?.();
  };
}
