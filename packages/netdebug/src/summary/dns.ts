/**
 * DNS over UDP port 53: queries matched to their responses (by client, server and id), response
 * codes, answers, latency. Bounded: a query is waited for at most `timeoutMs` of capture time and at
 * most `maxPending` queries wait at once (the oldest is given up first). A query given up on stays
 * in the report as unanswered (rcode null) and is counted in `dropped`; an answer arriving after
 * that counts as a response without a query. The report keeps the first `maxEntries` entries.
 */
import type { DnsMessage, PcapLib } from '../pcap-lib.js';
import { BoundedMap } from './bounded-map.js';
import { round, type DnsEntry } from './report.js';

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];
const QTYPES: Record<number, string> = { 1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 65: 'HTTPS', 255: 'ANY' };

export function rcodeName(n: number): string {
  return RCODES[n] ?? `RCODE${n}`;
}

interface Pending {
  entry: DnsEntry;
  /** Capture time of the query, microseconds. */
  ts: number;
}

export class DnsTracker {
  queries = 0;
  responses = 0;
  /** Queries given up on for their age (those pushed out by maxPending are counted by the map). */
  private expired = 0;
  private readonly byRcode = new Map<string, number>();
  /** In query order: the oldest first. */
  private readonly pending: BoundedMap<string, Pending>;
  private readonly entries: DnsEntry[] = [];
  private readonly timeoutUs: number;

  constructor(
    private readonly lib: PcapLib,
    private readonly maxEntries: number,
    maxPending: number,
    timeoutMs: number,
  ) {
    this.timeoutUs = timeoutMs * 1000;
    this.pending = new BoundedMap(maxPending);
  }

  /** Queries waiting for an answer now. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** One UDP payload to or from port 53 (`ts`: capture time in microseconds, `rel`: seconds into the capture). */
  message(src: string, dst: string, data: Buffer, rel: number, ts: number): void {
    let msg: DnsMessage;
    try {
      msg = new this.lib.DNS().decode(data, 0);
    } catch {
      return;
    }
    // pcap 3.1's DNS decoder hands a number where its flags decoder expects bytes, so its header
    // flags are always false/0: read QR and RCODE from the message's flags word directly.
    if (data.length < 4) return;
    const q = msg.question?.rrs?.[0];
    const flags = data.readUInt16BE(2);
    if ((flags & 0x8000) === 0) this.query(src, dst, msg.id, q?.name ?? '', q?.type, rel, ts);
    else this.response(src, dst, msg, flags & 0x000f, q?.name ?? '', q?.type, rel, ts);
  }

  /** A query seen (decoded by message(); `type` is the numeric QTYPE). */
  query(client: string, server: string, id: number, name: string, type: number | undefined, rel: number, ts: number): void {
    this.queries++;
    this.expire(ts);
    const entry: DnsEntry = { relTime: round(rel), client, server, id, name, type: qtype(type), rcode: null, answers: [], latencyMs: null };
    const key = `${client}|${server}|${id}`;
    this.pending.delete(key); // a repeated query waits from now on
    this.pending.set(key, { entry, ts }); // past maxPending, the oldest is given up
    if (this.entries.length < this.maxEntries) this.entries.push(entry);
  }

  private response(server: string, client: string, msg: DnsMessage, rcodeNum: number, name: string, type: number | undefined, rel: number, ts: number): void {
    this.responses++;
    const rcode = rcodeName(rcodeNum);
    this.byRcode.set(rcode, (this.byRcode.get(rcode) ?? 0) + 1);
    this.expire(ts);
    const key = `${client}|${server}|${msg.id}`;
    const waiting = this.pending.get(key);
    let entry: DnsEntry;
    if (waiting) {
      this.pending.delete(key);
      entry = waiting.entry;
      entry.latencyMs = round((ts - waiting.ts) / 1000);
    } else {
      entry = { relTime: round(rel), client, server, id: msg.id, name, type: qtype(type), rcode: null, answers: [], latencyMs: null };
      if (this.entries.length < this.maxEntries) this.entries.push(entry);
    }
    entry.rcode = rcode;
    entry.answers = (msg.answer?.rrs ?? []).map((rr) => answerText(rr));
  }

  /** Give up on queries older than the timeout. */
  private expire(now: number): void {
    for (let first = this.pending.oldest(); first && now - first[1].ts > this.timeoutUs; first = this.pending.oldest()) {
      this.pending.delete(first[0]);
      this.expired++;
    }
  }

  /** Queries given up on: timed out, or pushed out by maxPending. */
  get dropped(): number {
    return this.expired + this.pending.dropped;
  }

  report(): { queries: number; responses: number; byRcode: Record<string, number>; entries: DnsEntry[] } {
    return {
      queries: this.queries,
      responses: this.responses,
      byRcode: Object.fromEntries(this.byRcode),
      entries: this.entries.map((e) => ({ ...e, answers: [...e.answers] })),
    };
  }
}

function qtype(t: number | undefined): string {
  return t === undefined ? '?' : (QTYPES[t] ?? `TYPE${t}`);
}

function answerText(rr: { type: number; rdata: unknown; data?: unknown; name: string }): string {
  const v = rr.rdata ?? rr.data;
  if (v !== null && v !== undefined && (typeof v === 'string' || (typeof v === 'object' && 'addr' in (v as object)))) return `${qtype(rr.type)} ${String(v)}`;
  return qtype(rr.type);
}
