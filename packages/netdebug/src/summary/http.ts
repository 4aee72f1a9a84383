/**
 * HTTP/1.x on TCP: request lines (method, host, path) matched to the next status line in the other
 * direction of the same conversation, interim (1xx) responses skipped. Bounded: at most
 * `maxPending` requests wait for a response in all (the least recently active conversation's are
 * given up first) and at most 1,000 per conversation; a request given up on stays in the report
 * without a status and is counted in `dropped`, as are the waiting requests of a conversation
 * dropped from the conversation table. The report keeps the first `maxEntries` entries.
 */
import { BoundedMap } from './bounded-map.js';
import { round, type HttpEntry } from './report.js';

const METHOD_RE = /^(GET|POST|PUT|DELETE|HEAD|OPTIONS|PATCH|CONNECT|TRACE) (\S+) HTTP\/(1\.[01])\r\n/;
/** The start of a request line that has not ended in this segment. */
const METHOD_START_RE = /^(GET|POST|PUT|DELETE|HEAD|OPTIONS|PATCH|CONNECT|TRACE) /;
const HOST_RE = /\r\nhost:[ \t]*([^\r\n]*)\r\n/i;
/** A request head is followed over at most this many bytes (and segments) of its direction. */
const MAX_HEAD_BYTES = 8192;
const MAX_HEAD_SEGMENTS = 16;
const STATUS_RE = /^HTTP\/(1\.[01]) (\d{3})(?: ([^\r\n]*))?\r\n/;
const MAX_PENDING_PER_CONVERSATION = 1000;

/**
 * A request head spread over several TCP segments (the request line in one, the headers in the
 * next): what has arrived of it so far in one direction of one conversation.
 */
interface OpenHead {
  text: string;
  segments: number;
  /** Set once the request line is complete (the request is counted then). */
  entry?: HttpEntry;
  src: string;
  dst: string;
  rel: number;
  ts: number;
}

interface Pending {
  entry: HttpEntry;
  ts: number;
  fromA: boolean;
}

/** The Host header of a request head, once its line has arrived whole. */
function hostOf(head: string): string | null {
  return HOST_RE.exec(head)?.[1]?.trim() ?? null;
}

export class HttpTracker {
  requests = 0;
  responses = 0;
  /** Requests given up on. */
  dropped = 0;
  private readonly byMethod = new Map<string, number>();
  private readonly byStatus = new Map<string, number>();
  private readonly entries: HttpEntry[] = [];
  /** Waiting requests by conversation, least recently active first. */
  private readonly pending: BoundedMap<string, Pending[]>;
  private pendingTotal = 0;
  /** Request heads still arriving, per conversation direction (at most maxPending of them, each at most MAX_HEAD_BYTES). */
  private readonly heads: BoundedMap<string, OpenHead>;

  constructor(
    private readonly maxEntries: number,
    private readonly maxPending: number,
  ) {
    // The count cap below is the real bound (maxPending requests); conversations with waiting
    // requests are at most that many.
    this.pending = new BoundedMap(maxPending, (_key, list) => this.giveUp(list.length));
    this.heads = new BoundedMap(maxPending);
  }

  /** Requests waiting for a response now. */
  get pendingCount(): number {
    return this.pendingTotal;
  }

  /** One TCP payload (not a retransmission) of conversation `key`. */
  segment(key: string, fromA: boolean, src: string, dst: string, data: Buffer, rel: number, ts: number): void {
    const dirKey = `${key}\u0000${fromA ? '>' : '<'}`;
    const open = this.heads.touch(dirKey);
    if (open) return this.continueHead(key, dirKey, fromA, open, data);
    const head = data.subarray(0, Math.min(data.length, MAX_HEAD_BYTES)).toString('latin1');
    const req = METHOD_RE.exec(head);
    if (req) {
      const entry = this.request(key, fromA, src, dst, req, head, rel, ts);
      // The headers (Host) may come in the next segments: follow this head until it ends.
      if (entry.host === null && !head.includes('\r\n\r\n')) this.heads.set(dirKey, { text: head, segments: 1, entry, src, dst, rel, ts });
      return;
    }
    if (METHOD_START_RE.test(head) && !head.includes('\r\n')) {
      this.heads.set(dirKey, { text: head, segments: 1, src, dst, rel, ts });
      return;
    }
    const res = STATUS_RE.exec(head);
    if (res) {
      // An answer ends whatever was still arriving of the request in the other direction.
      this.heads.delete(`${key}\u0000${fromA ? '<' : '>'}`);
      this.response(key, fromA, res, ts);
    }
  }

  /** More of a request head that began in an earlier segment of the same direction. */
  private continueHead(key: string, dirKey: string, fromA: boolean, open: OpenHead, data: Buffer): void {
    open.text = (open.text + data.subarray(0, MAX_HEAD_BYTES).toString('latin1')).slice(0, MAX_HEAD_BYTES);
    open.segments++;
    if (!open.entry) {
      const req = METHOD_RE.exec(open.text);
      if (req) open.entry = this.request(key, fromA, open.src, open.dst, req, open.text, open.rel, open.ts);
      else if (open.text.includes('\r\n')) return void this.heads.delete(dirKey); // not HTTP after all
    } else {
      const host = hostOf(open.text);
      if (host !== null) open.entry.host = host;
    }
    if (open.entry?.host !== null && open.entry !== undefined) return void this.heads.delete(dirKey);
    if (open.text.includes('\r\n\r\n') || open.text.length >= MAX_HEAD_BYTES || open.segments >= MAX_HEAD_SEGMENTS) this.heads.delete(dirKey);
  }

  private request(key: string, fromA: boolean, src: string, dst: string, req: RegExpExecArray, head: string, rel: number, ts: number): HttpEntry {
    this.requests++;
    const method = req[1] as string;
    this.byMethod.set(method, (this.byMethod.get(method) ?? 0) + 1);
    const host = hostOf(head);
    const entry: HttpEntry = {
      relTime: round(rel),
      client: src,
      server: dst,
      method,
      host,
      path: req[2] as string,
      version: req[3] as string,
      status: null,
      reason: null,
      latencyMs: null,
    };
    if (this.entries.length < this.maxEntries) this.entries.push(entry);
    let list = this.pending.touch(key);
    if (!list) {
      list = [];
      this.pending.set(key, list);
    }
    if (list.length >= MAX_PENDING_PER_CONVERSATION) {
      this.dropped++;
      return entry;
    }
    list.push({ entry, ts, fromA });
    this.pendingTotal++;
    while (this.pendingTotal > this.maxPending) this.pending.dropOldest();
    return entry;
  }

  private response(key: string, fromA: boolean, res: RegExpExecArray, ts: number): void {
    this.responses++;
    const status = Number(res[2]);
    this.byStatus.set(String(status), (this.byStatus.get(String(status)) ?? 0) + 1);
    if (status >= 100 && status < 200) return; // interim responses do not answer the request
    const list = this.pending.touch(key);
    const i = list ? list.findIndex((p) => p.fromA !== fromA) : -1;
    if (!list || i < 0) return;
    const [p] = list.splice(i, 1);
    this.pendingTotal--;
    if (list.length === 0) this.pending.delete(key);
    if (!p) return;
    p.entry.status = status;
    p.entry.reason = res[3] ?? '';
    p.entry.latencyMs = round((ts - p.ts) / 1000);
  }

  /** The conversation was dropped: so are its waiting requests. */
  forget(key: string): void {
    this.heads.delete(`${key}\u0000>`);
    this.heads.delete(`${key}\u0000<`);
    const list = this.pending.get(key);
    if (!list) return;
    this.pending.delete(key);
    this.giveUp(list.length);
  }

  private giveUp(n: number): void {
    this.dropped += n;
    this.pendingTotal -= n;
  }

  report(): { requests: number; responses: number; byMethod: Record<string, number>; byStatus: Record<string, number>; entries: HttpEntry[] } {
    return {
      requests: this.requests,
      responses: this.responses,
      byMethod: Object.fromEntries(this.byMethod),
      byStatus: Object.fromEntries(this.byStatus),
      entries: this.entries.map((e) => ({ ...e })),
    };
  }
}
