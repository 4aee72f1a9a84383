/**
 * The sidecar protocol: how every in-container program talks to the CLI. One event per line on the
 * sidecar's stderr, `@dockside ` followed by a JSON object with the protocol version `v` and a
 * `type`; every other line is plain text (a tool's own messages). Bulk data (archives, pcap bytes,
 * shipped log lines) never travels this way.
 *
 * The encoder lives in @dockside/sidecar-kit (`EventWriter`), the one reader in @dockside/engine
 * (`EventReader`); this file is the wire format both agree on. Plain data, no I/O.
 *
 * Event types:
 * - `progress`: a named step with its data (`name` is the sidecar's own vocabulary: `plan`,
 *   `archive`, `stats`, ...). Typed per sidecar through `ProgressMap`.
 * - `result`: the outcome of the run (at most one a run, by convention the last event).
 * - `warning`: something the user should know that did not stop the run.
 * - `error`: why the run failed, as a user error: message, hint, code and the exit code it chose.
 */
export const PROTOCOL_VERSION = 1;
export const EVENT_PREFIX = '@dockside ';

/** Progress event shapes of one sidecar: step name -> data. */
export type ProgressMap = Record<string, unknown>;

export type ProgressEvent<M extends ProgressMap = ProgressMap> = {
  [K in keyof M & string]: { v: typeof PROTOCOL_VERSION; type: 'progress'; name: K; data: M[K] };
}[keyof M & string];

export interface ResultEvent<R = unknown> {
  v: typeof PROTOCOL_VERSION;
  type: 'result';
  data: R;
}

export interface WarningEvent {
  v: typeof PROTOCOL_VERSION;
  type: 'warning';
  message: string;
  code?: string;
}

export interface ErrorEvent {
  v: typeof PROTOCOL_VERSION;
  type: 'error';
  message: string;
  hint?: string;
  code: string;
  exitCode: number;
}

export type SidecarEvent<M extends ProgressMap = ProgressMap, R = unknown> = ProgressEvent<M> | ResultEvent<R> | WarningEvent | ErrorEvent;

/** Distributes Omit over a union (Omit on a union keeps only the common keys). */
type OmitV<E> = E extends unknown ? Omit<E, 'v'> : never;
export type EventBody<M extends ProgressMap = ProgressMap, R = unknown> = OmitV<SidecarEvent<M, R>>;

/** One event as one line (with its newline). */
export function encodeEvent<M extends ProgressMap, R>(e: EventBody<M, R>): string {
  return `${EVENT_PREFIX}${JSON.stringify({ v: PROTOCOL_VERSION, ...e })}\n`;
}

export type DecodedLine<M extends ProgressMap = ProgressMap, R = unknown> =
  | { kind: 'event'; event: SidecarEvent<M, R> }
  | { kind: 'text'; text: string }
  /** An event line this reader cannot use (another protocol version, bad JSON, no type). */
  | { kind: 'invalid'; text: string; reason: string };

const TYPES = new Set(['progress', 'result', 'warning', 'error']);

/**
 * Parse one line (without its newline). `M` and `R` name the sidecar's protocol (its events.ts):
 * the one place where the line's data is taken to be what that sidecar's program writes.
 */
export function decodeLine<M extends ProgressMap = ProgressMap, R = unknown>(line: string): DecodedLine<M, R> {
  if (!line.startsWith(EVENT_PREFIX)) return { kind: 'text', text: line };
  let obj: unknown;
  try {
    obj = JSON.parse(line.slice(EVENT_PREFIX.length));
  } catch {
    return { kind: 'invalid', text: line, reason: 'not JSON' };
  }
  if (typeof obj !== 'object' || obj === null) return { kind: 'invalid', text: line, reason: 'not an object' };
  const o = obj as { v?: unknown; type?: unknown };
  if (o.v !== PROTOCOL_VERSION) {
    return { kind: 'invalid', text: line, reason: `protocol version ${String(o.v)}, this CLI speaks ${PROTOCOL_VERSION} (rebuild the images: dockside images build --force)` };
  }
  if (typeof o.type !== 'string' || !TYPES.has(o.type)) return { kind: 'invalid', text: line, reason: `unknown event type ${String(o.type)}` };
  return { kind: 'event', event: obj as SidecarEvent<M, R> };
}
