/**
 * The capture summary: fed packet by packet (live in the sidecar, or from a file on the host), each
 * packet decoded with the `pcap` library's decoders and handed to one tracker per protocol
 * (summary/): conversations, talkers, TCP resets and retransmissions, DNS, HTTP/1.x, ICMP errors.
 * Every tracker is bounded (SummaryLimits), so a live --summary that runs for days keeps a flat
 * memory; what a cap let go of is reported in `dropped`.
 */
import type { PcapLib } from './pcap-lib.js';
import { ConversationTracker } from './summary/conversations.js';
import { DnsTracker } from './summary/dns.js';
import { HttpTracker } from './summary/http.js';
import { IcmpTracker } from './summary/icmp.js';
import { round, type CaptureSummary, type SummaryOptions } from './summary/report.js';
import { TalkerTracker } from './summary/talkers.js';
import { TcpAnomalyTracker } from './summary/tcp-anomalies.js';

export type { CaptureSummary, Conversation, DnsEntry, HttpEntry, IcmpError, SummaryDropped, SummaryLimits, SummaryOptions, Talker } from './summary/report.js';
export { rcodeName } from './summary/dns.js';
export { icmpDescription } from './summary/icmp.js';

/** Default caps (see SummaryLimits). */
export const SUMMARY_LIMITS = {
  maxConversations: 100_000,
  maxTalkers: 100_000,
  maxPendingDns: 10_000,
  dnsTimeoutMs: 30_000,
  maxPendingHttp: 10_000,
} as const;

interface IpLike {
  version: number;
  saddr: { toString(): string };
  daddr: { toString(): string };
  protocol?: number;
  nextHeader?: number;
  payload?: unknown;
}
interface TcpLike {
  sport: number;
  dport: number;
  seqno: number;
  flags: { syn: boolean; fin: boolean; rst: boolean };
  dataLength: number;
  data: Buffer | null;
}
interface UdpLike {
  sport: number;
  dport: number;
  data: Buffer;
}

export class CaptureSummarizer {
  private readonly lib: PcapLib;
  private readonly limit: number;
  private packets = 0;
  private bytes = 0;
  private undecoded = 0;
  private firstTs: number | undefined;
  private lastTs: number | undefined;
  private readonly protocols = new Map<string, number>();
  private readonly conversations: ConversationTracker;
  private readonly talkers: TalkerTracker;
  private readonly tcp = new TcpAnomalyTracker();
  private readonly dns: DnsTracker;
  private readonly http: HttpTracker;
  private readonly icmp: IcmpTracker;
  private readonly header = Buffer.alloc(16);

  constructor(lib: PcapLib, opts: SummaryOptions = {}) {
    this.lib = lib;
    this.limit = opts.limit ?? 20;
    const maxEntries = opts.maxEntries ?? 200;
    this.conversations = new ConversationTracker(opts.maxConversations ?? SUMMARY_LIMITS.maxConversations, (key) => {
      this.tcp.forget(key);
      this.http.forget(key);
    });
    this.talkers = new TalkerTracker(opts.maxTalkers ?? SUMMARY_LIMITS.maxTalkers);
    this.dns = new DnsTracker(lib, maxEntries, opts.maxPendingDns ?? SUMMARY_LIMITS.maxPendingDns, opts.dnsTimeoutMs ?? SUMMARY_LIMITS.dnsTimeoutMs);
    this.http = new HttpTracker(maxEntries, opts.maxPendingHttp ?? SUMMARY_LIMITS.maxPendingHttp);
    this.icmp = new IcmpTracker(maxEntries);
  }

  /** Add one packet given its record fields. */
  addRecord(linkType: string, tsSec: number, tsUsec: number, caplen: number, len: number, data: Buffer): void {
    const h = this.header;
    h.writeUInt32LE(tsSec >>> 0, 0);
    h.writeUInt32LE(tsUsec >>> 0, 4);
    h.writeUInt32LE(caplen >>> 0, 8);
    h.writeUInt32LE(len >>> 0, 12);
    this.add(linkType, h, data);
  }

  /** Add one packet as the pcap library delivers it (header: 16 bytes little-endian; buf may be longer than caplen). */
  add(linkType: string, header: Buffer, buf: Buffer): void {
    const tsSec = header.readUInt32LE(0);
    const tsUsec = header.readUInt32LE(4);
    const len = header.readUInt32LE(12);
    // Microseconds since the epoch, as an integer (exact; fits well within 2^53).
    const ts = tsSec * 1e6 + tsUsec;
    this.packets++;
    this.bytes += len;
    if (this.firstTs === undefined) this.firstTs = ts;
    this.lastTs = ts;
    const start = this.firstTs;

    const ip = this.decode(linkType, header, buf);
    if (!ip) {
      this.undecoded++;
      this.count('other');
      return;
    }
    const src = ip.saddr.toString();
    const dst = ip.daddr.toString();
    const proto = ip.version === 4 ? ip.protocol : ip.nextHeader;
    this.talkers.add(src, dst, len);
    const rel = (ts - start) / 1e6;

    if (proto === 6 && isTcp(ip.payload)) {
      const t = ip.payload;
      this.count('tcp');
      const from = `${src}:${t.sport}`;
      const to = `${dst}:${t.dport}`;
      const { key, conv, fromA } = this.conversations.add('tcp', from, to, ts, start, len);
      const seen = this.tcp.segment(key, fromA, { seqno: t.seqno, syn: t.flags.syn, fin: t.flags.fin, rst: t.flags.rst, dataLength: t.dataLength });
      if (seen.reset) conv.resets++;
      if (seen.retransmission) conv.retransmissions++;
      else if (t.data && t.data.length > 0) this.http.segment(key, fromA, from, to, t.data, rel, ts);
    } else if (proto === 17 && isUdp(ip.payload)) {
      const u = ip.payload;
      this.count('udp');
      this.conversations.add('udp', `${src}:${u.sport}`, `${dst}:${u.dport}`, ts, start, len);
      if (u.sport === 53 || u.dport === 53) this.dns.message(`${src}:${u.sport}`, `${dst}:${u.dport}`, u.data, rel, ts);
    } else if (proto === 1 || proto === 58) {
      const name = proto === 1 ? 'icmp' : 'icmpv6';
      this.count(name);
      this.conversations.add(name, src, dst, ts, start, len);
      this.icmp.packet(proto, ip.payload as { type: number; code: number } | undefined, linkType, buf, src, dst, rel);
    } else {
      this.count(`ip-proto-${proto}`);
      this.conversations.add(`ip-proto-${proto}`, src, dst, ts, start, len);
    }
  }

  private decode(linkType: string, header: Buffer, buf: Buffer): IpLike | undefined {
    try {
      const pkt = this.lib.decode.packet({ buf, header, link_type: linkType }) as { payload?: { payload?: unknown; version?: number } };
      const l2 = pkt.payload;
      const l3 = (l2 && typeof l2.version === 'number' ? l2 : l2?.payload) as IpLike | undefined;
      return l3 && (l3.version === 4 || l3.version === 6) && l3.saddr ? l3 : undefined;
    } catch {
      return undefined;
    }
  }

  private count(proto: string): void {
    this.protocols.set(proto, (this.protocols.get(proto) ?? 0) + 1);
  }

  /** Items the trackers hold now (each at most its cap). */
  held(): { conversations: number; tcpFlows: number; pendingDns: number; pendingHttp: number } {
    return { conversations: this.conversations.size, tcpFlows: this.tcp.size, pendingDns: this.dns.pendingCount, pendingHttp: this.http.pendingCount };
  }

  /** The report so far (can be called repeatedly during a live capture). */
  snapshot(): CaptureSummary {
    return {
      packets: this.packets,
      bytes: this.bytes,
      undecoded: this.undecoded,
      firstTime: this.firstTs !== undefined ? new Date(this.firstTs / 1000).toISOString() : null,
      lastTime: this.lastTs !== undefined ? new Date(this.lastTs / 1000).toISOString() : null,
      duration: this.firstTs !== undefined && this.lastTs !== undefined ? round((this.lastTs - this.firstTs) / 1e6) : 0,
      protocols: Object.fromEntries(this.protocols),
      conversationCount: this.conversations.count,
      conversations: this.conversations.report(this.limit),
      topTalkers: this.talkers.report(this.limit),
      dns: this.dns.report(),
      http: this.http.report(),
      tcp: { resets: this.tcp.resets, retransmissions: this.tcp.retransmissions },
      icmp: this.icmp.report(),
      dropped: { conversations: this.conversations.dropped, talkers: this.talkers.dropped, dnsQueries: this.dns.dropped, httpRequests: this.http.dropped },
    };
  }

  /** Totals over every conversation of a protocol (not only those in the report). */
  totals(protocol: string): { conversations: number; packets: number; bytes: number } {
    return this.conversations.totals(protocol);
  }
}

function isTcp(p: unknown): p is TcpLike {
  return !!p && typeof (p as TcpLike).seqno === 'number' && !!(p as TcpLike).flags;
}

function isUdp(p: unknown): p is UdpLike {
  return !!p && typeof (p as UdpLike).sport === 'number' && Buffer.isBuffer((p as UdpLike).data);
}
