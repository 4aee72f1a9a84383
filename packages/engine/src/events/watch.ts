/**
 * Following the engine's container events (GET /events with filters) with reconnects: when the
 * stream drops (engine restart, socket hiccup) it is opened again with a growing delay, and
 * `onReconnect` tells the caller to reconcile (events sent while we were away are not replayed).
 */
import { openStream, type SocketClient } from '../logs/request.js';

export interface ContainerEvent {
  Type: string;
  Action: string;
  id?: string;
  time?: number;
  Actor?: { ID: string; Attributes?: Record<string, string> };
}

export interface WatchOptions {
  /** Engine event filters, e.g. { type: ['container'], event: ['start'] }. */
  filters: Record<string, string[]>;
  onEvent: (e: ContainerEvent) => void;
  /** Called once the stream is open again after it dropped. */
  onReconnect?: () => void;
  /** Called each time the stream drops. */
  onDrop?: (err?: Error) => void;
  maxDelayMs?: number;
}

/** Returns a stop function. */
export function watchContainerEvents(client: SocketClient, opts: WatchOptions): () => void {
  let stopped = false;
  let abort: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let delay = 250;
  let connects = 0;
  const path = `/events?filters=${encodeURIComponent(JSON.stringify(opts.filters))}`;

  const connect = async () => {
    if (stopped) return;
    try {
      const s = await openStream(client, path);
      if (stopped) return s.abort();
      abort = s.abort;
      delay = 250;
      if (connects++ > 0) opts.onReconnect?.();
      let buf = '';
      s.res.setEncoding('utf8');
      s.res.on('data', (c: string) => {
        buf += c;
        if (buf.length > 1024 * 1024) buf = '';
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          try {
            opts.onEvent(JSON.parse(line) as ContainerEvent);
          } catch {
            /* not JSON: ignore */
          }
        }
      });
      await new Promise<void>((resolve) => {
        s.res.on('end', resolve);
        s.res.on('error', () => resolve());
        s.res.on('close', resolve);
      });
      if (!stopped) opts.onDrop?.();
    } catch (err) {
      if (!stopped) opts.onDrop?.(err as Error);
    }
    if (stopped) return;
    timer = setTimeout(() => void connect(), delay);
    delay = Math.min(delay * 2, opts.maxDelayMs ?? 5000);
  };
  void connect();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    abort?.();
  };
}
