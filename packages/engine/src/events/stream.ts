/**
 * Following the engine's event stream over dockerode (the cron scheduler), reconnecting when it
 * drops; the loop and the decoding are follow.ts's. `onConnect` fires after every (re)connection so
 * the caller can re-list what it may have missed while the stream was down.
 */
import createDebug from 'debug';
import { dockerOf } from '../connection/client.js';
import type { Engine } from '../connection/engine.js';
import { followEventStream, type EngineEvent } from './follow.js';

export type { EngineEvent } from './follow.js';

const debug = createDebug('dockside:events');

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
  const open = async () => {
    const stream = await dockerOf(engine).then((docker) => docker.getEvents({ filters: opts.filters } as object));
    return { stream, close: () => (stream as unknown as { destroy?: () => void }).destroy?.() };
  };
  const stop = followEventStream(open, {
    onEvent: opts.onEvent,
    ...(opts.onConnect ? { onConnect: opts.onConnect } : {}),
    ...(opts.onDrop ? { onDrop: opts.onDrop } : {}),
    maxBackoffMs: opts.maxBackoffMs ?? 10_000,
    debug: (message) => debug(message),
  });
  return { stop };
}
