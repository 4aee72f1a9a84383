/**
 * Following the engine's container events over the raw socket (the log shipper, the metrics
 * exporter), with reconnects; the loop and the decoding are follow.ts's. `onReconnect` tells the
 * caller to reconcile (events sent while we were away are not replayed).
 */
import { openStream, type SocketClient } from '../connection/socket.js';
import { followEventStream, type EngineEvent } from './follow.js';

export type ContainerEvent = EngineEvent;

export interface WatchOptions {
  /** Engine event filters, e.g. { type: ['container'], event: ['start'] }. */
  filters: Record<string, string[]>;
  onEvent: (e: ContainerEvent) => void;
  /** Called each time the stream is open (the first time too): events from then on arrive. */
  onConnect?: () => void;
  /** Called once the stream is open again after it dropped. */
  onReconnect?: () => void;
  /** Called each time the stream drops. */
  onDrop?: (err?: Error) => void;
  /** First delay before a reconnect (default 250 ms). */
  minDelayMs?: number;
  maxDelayMs?: number;
}

/** Returns a stop function. */
export function watchContainerEvents(client: SocketClient, opts: WatchOptions): () => void {
  const path = `/events?filters=${encodeURIComponent(JSON.stringify(opts.filters))}`;
  const open = async () => {
    const s = await openStream(client, path);
    return { stream: s.res, close: s.abort };
  };
  return followEventStream(open, {
    onEvent: opts.onEvent,
    ...(opts.onConnect ? { onConnect: opts.onConnect } : {}),
    ...(opts.onReconnect ? { onReconnect: opts.onReconnect } : {}),
    ...(opts.onDrop ? { onDrop: opts.onDrop } : {}),
    ...(opts.minDelayMs !== undefined ? { minBackoffMs: opts.minDelayMs } : {}),
    maxBackoffMs: opts.maxDelayMs ?? 5000,
  });
}
