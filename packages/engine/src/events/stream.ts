/**
 * Following the engine's event stream (GET /events) with filters, reconnecting when it drops.
 * `onReconnect` fires after every (re)connection so the caller can re-list what it may have
 * missed while the stream was down (events are not replayed).
 */
import { StringDecoder } from 'node:string_decoder';
import createDebug from 'debug';
import { dockerOf } from '../connection/client.js';
import type { Engine } from '../connection/engine.js';

const debug = createDebug('dockside:events');

export interface EngineEvent {
  Type: string;
  Action: string;
  id?: string;
  time?: number;
  Actor?: { ID: string; Attributes?: Record<string, string> };
}

export interface EventStreamOptions {
  /** Docker API event filters, e.g. { type: ['container'], event: ['start', 'die'] }. */
  filters: Record<string, string[]>;
  onEvent: (e: EngineEvent) => void;
  /** After each successful (re)connection. */
  onConnect?: () => void;
  /** When the stream drops (it is retried with backoff, up to `maxBackoffMs`). */
  onDrop?: (err: Error | undefined) => void;
  maxBackoffMs?: number;
}

export interface EventStream {
  stop(): void;
}

export function followEvents(engine: Engine, opts: EventStreamOptions): EventStream {
  let stopped = false;
  let current: NodeJS.ReadableStream | undefined;
  let timer: NodeJS.Timeout | undefined;
  let failures = 0;

  const retry = (err?: Error) => {
    current = undefined;
    if (stopped) return;
    opts.onDrop?.(err);
    const wait = Math.min(opts.maxBackoffMs ?? 10_000, 250 * 2 ** Math.min(failures++, 6));
    debug('event stream dropped (%s); reconnecting in %d ms', err?.message ?? 'end', wait);
    timer = setTimeout(connect, wait);
  };

  const connect = () => {
    if (stopped) return;
    dockerOf(engine).then((docker) => docker.getEvents({ filters: opts.filters } as object)).then(
      (stream) => {
        if (stopped) return void (stream as unknown as { destroy?: () => void }).destroy?.();
        current = stream;
        failures = 0;
        opts.onConnect?.();
        let buf = '';
        const decoder = new StringDecoder('utf8'); // a character split across chunks stays whole
        stream.on('data', (chunk: Buffer) => {
          buf += decoder.write(chunk);
          if (buf.length > 1 << 20) buf = '';
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (!line) continue;
            try {
              opts.onEvent(JSON.parse(line) as EngineEvent);
            } catch (err) {
              debug('bad event line or handler failure: %s', (err as Error).message);
            }
          }
        });
        let done = false;
        const end = (err?: Error) => {
          if (done) return;
          done = true;
          retry(err);
        };
        stream.on('error', (err: Error) => end(err));
        stream.on('end', () => end());
        stream.on('close', () => end());
      },
      (err: Error) => retry(err),
    );
  };

  connect();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      (current as unknown as { destroy?: () => void } | undefined)?.destroy?.();
    },
  };
}
