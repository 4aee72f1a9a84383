/** The capture summary as reported (JSON with --json, rendered by render.ts otherwise). */

export interface Conversation {
  protocol: string;
  /** Endpoint A: the sender of the first packet seen (as tshark's conversation table). */
  a: string;
  b: string;
  packets: number;
  bytes: number;
  packetsAtoB: number;
  bytesAtoB: number;
  packetsBtoA: number;
  bytesBtoA: number;
  /** Seconds from the first packet of the capture. */
  relStart: number;
  duration: number;
  resets: number;
  retransmissions: number;
}

export interface Talker {
  address: string;
  packets: number;
  bytes: number;
  packetsSent: number;
  bytesSent: number;
  packetsReceived: number;
  bytesReceived: number;
}

export interface DnsEntry {
  relTime: number;
  client: string;
  server: string;
  id: number;
  name: string;
  type: string;
  /** Response code name (NOERROR, NXDOMAIN, ...); null when no response was seen. */
  rcode: string | null;
  answers: string[];
  latencyMs: number | null;
}

export interface HttpEntry {
  relTime: number;
  client: string;
  server: string;
  method: string;
  host: string | null;
  path: string;
  version: string;
  /** null when no response was seen. */
  status: number | null;
  reason: string | null;
  latencyMs: number | null;
}

export interface IcmpError {
  relTime: number;
  from: string;
  to: string;
  type: number;
  code: number;
  description: string;
}

/**
 * What the bounded trackers let go of. All 0 unless a capture outgrew a cap (SummaryLimits): the
 * packets still count everywhere else; only the per-item state was dropped.
 */
export interface SummaryDropped {
  /** Least recently active conversations dropped from the table (a flow seen again starts anew). */
  conversations: number;
  /** Least recently active addresses dropped from the talkers. */
  talkers: number;
  /** DNS queries no longer waited for (too old, or too many waiting): reported as unanswered. */
  dnsQueries: number;
  /** HTTP requests no longer waited for (too many waiting): reported without a status. */
  httpRequests: number;
}

export interface CaptureSummary {
  packets: number;
  bytes: number;
  /** Packets whose headers could not be decoded (truncated by snaplen, unknown link type). */
  undecoded: number;
  firstTime: string | null;
  lastTime: string | null;
  duration: number;
  protocols: Record<string, number>;
  /** Conversations seen (including any dropped from the table, see `dropped`). */
  conversationCount: number;
  conversations: Conversation[];
  topTalkers: Talker[];
  dns: { queries: number; responses: number; byRcode: Record<string, number>; entries: DnsEntry[] };
  http: { requests: number; responses: number; byMethod: Record<string, number>; byStatus: Record<string, number>; entries: HttpEntry[] };
  tcp: { resets: number; retransmissions: number };
  icmp: { errors: number; entries: IcmpError[] };
  dropped: SummaryDropped;
  /** What the reader noticed about the input (a file cut short in the middle of a packet). */
  warnings?: string[];
}

/** Caps that keep a summary's memory bounded however long a live capture runs. */
export interface SummaryLimits {
  /** Conversations tracked at once (default 100,000), least recently active dropped first. */
  maxConversations?: number;
  /** Addresses tracked as talkers (default 100,000), least recently active dropped first. */
  maxTalkers?: number;
  /** DNS queries waiting for an answer (default 10,000), oldest dropped first. */
  maxPendingDns?: number;
  /** How long (capture time) a DNS query is waited for (default 30 s). */
  dnsTimeoutMs?: number;
  /** HTTP requests waiting for a response (default 10,000; at most 1,000 per conversation). */
  maxPendingHttp?: number;
}

export interface SummaryOptions extends SummaryLimits {
  /** Conversations and talkers in the report (default 20). */
  limit?: number;
  /** DNS, HTTP and ICMP entries kept (default 200 each). */
  maxEntries?: number;
}

/** Seconds and milliseconds in the report: rounded to the microsecond. */
export function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
