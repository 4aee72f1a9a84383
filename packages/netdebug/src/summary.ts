/**
 * The capture summary: conversations, top talkers, DNS, HTTP/1.x, TCP resets and retransmissions,
 * ICMP errors. Fed packet by packet (live in the sidecar, or from a file on the host); packets are
 * decoded with the `pcap` library's decoders, application payloads (DNS with its DNS decoder, HTTP
 * request and status lines) are read here. Memory is bounded by the number of conversations, plus
 * at most `maxEntries` DNS/HTTP/ICMP entries kept for the report.
 */
import type { DnsMessage, PcapLib } from './pcap-lib.js';

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

export interface CaptureSummary {
  packets: number;
  bytes: number;
  /** Packets whose headers could not be decoded (truncated by snaplen, unknown link type). */
  undecoded: number;
  firstTime: string | null;
  lastTime: string | null;
  duration: number;
  protocols: Record<string, number>;
  conversationCount: number;
  conversations: Conversation[];
  topTalkers: Talker[];
  dns: { queries: number; responses: number; byRcode: Record<string, number>; entries: DnsEntry[] };
  http: { requests: number; responses: number; byMethod: Record<string, number>; byStatus: Record<string, number>; entries: HttpEntry[] };
  tcp: { resets: number; retransmissions: number };
  icmp: { errors: number; entries: IcmpError[] };
}

export interface SummaryOptions {
  /** Conversations and talkers in the report (default 20). */
  limit?: number;
  /** DNS, HTTP and ICMP entries kept (default 200 each). */
  maxEntries?: number;
}

interface DirState {
  nextSeq: number | undefined;
}

interface ConvState extends Conversation {
  firstTs: number;
  lastTs: number;
  dirA: DirState;
  dirB: DirState;
  pendingHttp: HttpEntry[];
}

/** Link-layer header lengths, to find an IPv6 header in the raw frame. */
const LINK_HEADER_LEN: Record<string, number> = { LINKTYPE_ETHERNET: 14, LINKTYPE_LINUX_SLL: 16, LINKTYPE_RAW: 0, LINKTYPE_NULL: 4 };
const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];
const QTYPES: Record<number, string> = { 1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 65: 'HTTPS', 255: 'ANY' };
const METHOD_RE = /^(GET|POST|PUT|DELETE|HEAD|OPTIONS|PATCH|CONNECT|TRACE) (\S+) HTTP\/(1\.[01])\r\n/;
const STATUS_RE = /^HTTP\/(1\.[01]) (\d{3})(?: ([^\r\n]*))?\r\n/;

export function rcodeName(n: number): string {
  return RCODES[n] ?? `RCODE${n}`;
}

export function icmpDescription(v6: boolean, type: number, code: number): string | null {
  if (!v6) {
    if (type === 3) {
      const codes = ['net unreachable', 'host unreachable', 'protocol unreachable', 'port unreachable', 'fragmentation needed', 'source route failed', 'destination network unknown', 'destination host unknown'];
      return `destination unreachable: ${codes[code] ?? `code ${code}`}`;
    }
    if (type === 11) return code === 0 ? 'time exceeded: TTL expired in transit' : 'time exceeded: fragment reassembly';
    if (type === 5) return 'redirect';
    if (type === 12) return 'parameter problem';
    if (type === 4) return 'source quench';
    return null;
  }
  if (type === 1) {
    const codes = ['no route', 'administratively prohibited', 'beyond scope', 'address unreachable', 'port unreachable'];
    return `destination unreachable: ${codes[code] ?? `code ${code}`}`;
  }
  if (type === 2) return 'packet too big';
  if (type === 3) return 'time exceeded';
  if (type === 4) return 'parameter problem';
  return null;
}

interface IpLike {
  version: number;
  saddr: { toString(): string };
  daddr: { toString(): string };
  protocol?: number;
  nextHeader?: number;
  headerLength?: number;
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
interface IcmpLike {
  type: number;
  code: number;
}

export class CaptureSummarizer {
  private readonly lib: PcapLib;
  private readonly limit: number;
  private readonly maxEntries: number;
  private packets = 0;
  private bytes = 0;
  private undecoded = 0;
  private firstTs: number | undefined;
  private lastTs: number | undefined;
  private readonly protocols = new Map<string, number>();
  private readonly convs = new Map<string, ConvState>();
  private readonly talkers = new Map<string, Talker>();
  private dnsQueries = 0;
  private dnsResponses = 0;
  private readonly dnsByRcode = new Map<string, number>();
  private readonly dnsPending = new Map<string, DnsEntry>();
  private readonly dnsEntries: DnsEntry[] = [];
  private httpRequests = 0;
  private httpResponses = 0;
  private readonly httpByMethod = new Map<string, number>();
  private readonly httpByStatus = new Map<string, number>();
  private readonly httpEntries: HttpEntry[] = [];
  private resets = 0;
  private retransmissions = 0;
  private icmpErrors = 0;
  private readonly icmpEntries: IcmpError[] = [];
  private readonly header = Buffer.alloc(16);

  constructor(lib: PcapLib, opts: SummaryOptions = {}) {
    this.lib = lib;
    this.limit = opts.limit ?? 20;
    this.maxEntries = opts.maxEntries ?? 200;
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

    let ip: IpLike | undefined;
    try {
      const pkt = this.lib.decode.packet({ buf, header, link_type: linkType }) as { payload?: { payload?: unknown; version?: number } };
      const l2 = pkt.payload;
      const l3 = (l2 && typeof l2.version === 'number' ? l2 : l2?.payload) as IpLike | undefined;
      if (l3 && (l3.version === 4 || l3.version === 6) && l3.saddr) ip = l3;
    } catch {
      ip = undefined;
    }
    if (!ip) {
      this.undecoded++;
      this.count('other');
      return;
    }
    const src = ip.saddr.toString();
    const dst = ip.daddr.toString();
    const proto = ip.version === 4 ? ip.protocol : ip.nextHeader;
    this.talk(src, dst, len);
    const rel = (ts - (this.firstTs ?? ts)) / 1e6;

    if (proto === 6 && isTcp(ip.payload)) {
      const t = ip.payload;
      this.count('tcp');
      const c = this.conv('tcp', `${src}:${t.sport}`, `${dst}:${t.dport}`, ts, len);
      const fromA = c.a === `${src}:${t.sport}`;
      if (t.flags.rst) {
        this.resets++;
        c.resets++;
      }
      const segLen = Math.max(0, t.dataLength) + (t.flags.syn ? 1 : 0) + (t.flags.fin ? 1 : 0);
      let retrans = false;
      if (segLen > 0) {
        const d = fromA ? c.dirA : c.dirB;
        const end = (t.seqno + segLen) >>> 0;
        if (d.nextSeq !== undefined && ((end - d.nextSeq) | 0) <= 0) {
          retrans = true;
          this.retransmissions++;
          c.retransmissions++;
        } else {
          d.nextSeq = end;
        }
      }
      if (!retrans && t.data && t.data.length > 0) this.http(c, fromA, `${src}:${t.sport}`, `${dst}:${t.dport}`, t.data, rel, ts);
    } else if (proto === 17 && isUdp(ip.payload)) {
      const u = ip.payload;
      this.count('udp');
      this.conv('udp', `${src}:${u.sport}`, `${dst}:${u.dport}`, ts, len);
      if (u.sport === 53 || u.dport === 53) this.dns(`${src}:${u.sport}`, `${dst}:${u.dport}`, u.data, rel, ts);
    } else if (proto === 1 || proto === 58) {
      this.count(proto === 1 ? 'icmp' : 'icmpv6');
      this.conv(proto === 1 ? 'icmp' : 'icmpv6', src, dst, ts, len);
      const icmp = ip.payload as IcmpLike | undefined;
      // The library decodes ICMP (v4) only: ICMPv6 type and code are read right after the fixed
      // IPv6 header (no extension headers), whose offset is the link-layer header's length.
      let type = proto === 1 ? icmp?.type : undefined;
      let code = proto === 1 ? icmp?.code : undefined;
      const l2len = LINK_HEADER_LEN[linkType];
      if (proto === 58 && l2len !== undefined && buf.length >= l2len + 42) {
        type = buf[l2len + 40];
        code = buf[l2len + 41];
      }
      if (type !== undefined && code !== undefined) {
        const desc = icmpDescription(proto === 58, type, code);
        if (desc) {
          this.icmpErrors++;
          if (this.icmpEntries.length < this.maxEntries) this.icmpEntries.push({ relTime: round(rel), from: src, to: dst, type, code, description: desc });
        }
      }
    } else {
      this.count(`ip-proto-${proto}`);
      this.conv(`ip-proto-${proto}`, src, dst, ts, len);
    }
  }

  private count(proto: string): void {
    this.protocols.set(proto, (this.protocols.get(proto) ?? 0) + 1);
  }

  private talk(src: string, dst: string, len: number): void {
    const s = this.talker(src);
    s.packets++;
    s.bytes += len;
    s.packetsSent++;
    s.bytesSent += len;
    if (dst === src) return;
    const d = this.talker(dst);
    d.packets++;
    d.bytes += len;
    d.packetsReceived++;
    d.bytesReceived += len;
  }

  private talker(address: string): Talker {
    let t = this.talkers.get(address);
    if (!t) {
      t = { address, packets: 0, bytes: 0, packetsSent: 0, bytesSent: 0, packetsReceived: 0, bytesReceived: 0 };
      this.talkers.set(address, t);
    }
    return t;
  }

  private conv(protocol: string, src: string, dst: string, ts: number, len: number): ConvState {
    const key = src < dst ? `${protocol} ${src} ${dst}` : `${protocol} ${dst} ${src}`;
    let c = this.convs.get(key);
    if (!c) {
      c = {
        protocol, a: src, b: dst, packets: 0, bytes: 0, packetsAtoB: 0, bytesAtoB: 0, packetsBtoA: 0, bytesBtoA: 0,
        relStart: round((ts - (this.firstTs ?? ts)) / 1e6), duration: 0, resets: 0, retransmissions: 0,
        firstTs: ts, lastTs: ts, dirA: { nextSeq: undefined }, dirB: { nextSeq: undefined }, pendingHttp: [],
      };
      this.convs.set(key, c);
    }
    c.packets++;
    c.bytes += len;
    if (c.a === src) {
      c.packetsAtoB++;
      c.bytesAtoB += len;
    } else {
      c.packetsBtoA++;
      c.bytesBtoA += len;
    }
    c.lastTs = ts;
    return c;
  }

  private dns(src: string, dst: string, data: Buffer, rel: number, ts: number): void {
    let msg: DnsMessage;
    try {
      msg = new this.lib.DNS().decode(data, 0);
    } catch {
      return;
    }
    const q = msg.question?.rrs?.[0];
    // pcap 3.1's DNS decoder hands a number where its flags decoder expects bytes, so its header
    // flags are always false/0: read QR and RCODE from the message's flags word directly.
    if (data.length < 4) return;
    const flags = data.readUInt16BE(2);
    const isResponse = (flags & 0x8000) !== 0;
    if (!isResponse) {
      this.dnsQueries++;
      const entry: DnsEntry = {
        relTime: round(rel), client: src, server: dst, id: msg.id, name: q?.name ?? '', type: qtype(q?.type),
        rcode: null, answers: [], latencyMs: null,
      };
      (entry as DnsEntry & { ts?: number }).ts = ts;
      this.dnsPending.set(`${src}|${dst}|${msg.id}`, entry);
      if (this.dnsEntries.length < this.maxEntries) this.dnsEntries.push(entry);
      return;
    }
    this.dnsResponses++;
    const rcode = rcodeName(flags & 0x000f);
    this.dnsByRcode.set(rcode, (this.dnsByRcode.get(rcode) ?? 0) + 1);
    const key = `${dst}|${src}|${msg.id}`;
    let entry = this.dnsPending.get(key);
    if (entry) {
      this.dnsPending.delete(key);
      const qts = (entry as DnsEntry & { ts?: number }).ts;
      entry.latencyMs = qts !== undefined ? round((ts - qts) / 1000) : null;
    } else {
      entry = { relTime: round(rel), client: dst, server: src, id: msg.id, name: q?.name ?? '', type: qtype(q?.type), rcode: null, answers: [], latencyMs: null };
      if (this.dnsEntries.length < this.maxEntries) this.dnsEntries.push(entry);
    }
    entry.rcode = rcode;
    entry.answers = (msg.answer?.rrs ?? []).map((rr) => answerText(rr));
  }

  private http(c: ConvState, fromA: boolean, src: string, dst: string, data: Buffer, rel: number, ts: number): void {
    const head = data.subarray(0, Math.min(data.length, 4096)).toString('latin1');
    const req = METHOD_RE.exec(head);
    if (req) {
      this.httpRequests++;
      const method = req[1] as string;
      this.httpByMethod.set(method, (this.httpByMethod.get(method) ?? 0) + 1);
      const host = /\r\nhost:[ \t]*([^\r\n]*)/i.exec(head)?.[1]?.trim() ?? null;
      const entry: HttpEntry = { relTime: round(rel), client: src, server: dst, method, host, path: req[2] as string, version: req[3] as string, status: null, reason: null, latencyMs: null };
      (entry as HttpEntry & { ts?: number; fromA?: boolean }).ts = ts;
      (entry as HttpEntry & { fromA?: boolean }).fromA = fromA;
      if (c.pendingHttp.length < 1000) c.pendingHttp.push(entry);
      if (this.httpEntries.length < this.maxEntries) this.httpEntries.push(entry);
      return;
    }
    const res = STATUS_RE.exec(head);
    if (!res) return;
    this.httpResponses++;
    const status = Number(res[2]);
    this.httpByStatus.set(String(status), (this.httpByStatus.get(String(status)) ?? 0) + 1);
    if (status >= 100 && status < 200) return; // interim responses do not answer the request
    const i = c.pendingHttp.findIndex((e) => (e as HttpEntry & { fromA?: boolean }).fromA !== fromA);
    if (i < 0) return;
    const [entry] = c.pendingHttp.splice(i, 1);
    if (!entry) return;
    entry.status = status;
    entry.reason = res[3] ?? '';
    const qts = (entry as HttpEntry & { ts?: number }).ts;
    entry.latencyMs = qts !== undefined ? round((ts - qts) / 1000) : null;
  }

  /** The report so far (can be called repeatedly during a live capture). */
  snapshot(): CaptureSummary {
    const convs = [...this.convs.values()];
    convs.sort((x, y) => y.bytes - x.bytes || y.packets - x.packets);
    const talkers = [...this.talkers.values()].sort((x, y) => y.bytes - x.bytes || y.packets - x.packets);
    return {
      packets: this.packets,
      bytes: this.bytes,
      undecoded: this.undecoded,
      firstTime: this.firstTs !== undefined ? new Date(this.firstTs / 1000).toISOString() : null,
      lastTime: this.lastTs !== undefined ? new Date(this.lastTs / 1000).toISOString() : null,
      duration: this.firstTs !== undefined && this.lastTs !== undefined ? round((this.lastTs - this.firstTs) / 1e6) : 0,
      protocols: Object.fromEntries(this.protocols),
      conversationCount: convs.length,
      conversations: convs.slice(0, this.limit).map((c) => ({
        protocol: c.protocol, a: c.a, b: c.b, packets: c.packets, bytes: c.bytes,
        packetsAtoB: c.packetsAtoB, bytesAtoB: c.bytesAtoB, packetsBtoA: c.packetsBtoA, bytesBtoA: c.bytesBtoA,
        relStart: c.relStart, duration: round((c.lastTs - c.firstTs) / 1e6), resets: c.resets, retransmissions: c.retransmissions,
      })),
      topTalkers: talkers.slice(0, this.limit).map((t) => ({ ...t })),
      dns: { queries: this.dnsQueries, responses: this.dnsResponses, byRcode: Object.fromEntries(this.dnsByRcode), entries: this.dnsEntries.map(clean) },
      http: {
        requests: this.httpRequests, responses: this.httpResponses,
        byMethod: Object.fromEntries(this.httpByMethod), byStatus: Object.fromEntries(this.httpByStatus),
        entries: this.httpEntries.map(clean),
      },
      tcp: { resets: this.resets, retransmissions: this.retransmissions },
      icmp: { errors: this.icmpErrors, entries: this.icmpEntries.map((e) => ({ ...e })) },
    };
  }

  /** Totals over every conversation of a protocol (not only those in the report). */
  totals(protocol: string): { conversations: number; packets: number; bytes: number } {
    let conversations = 0;
    let packets = 0;
    let bytes = 0;
    for (const c of this.convs.values()) {
      if (c.protocol !== protocol) continue;
      conversations++;
      packets += c.packets;
      bytes += c.bytes;
    }
    return { conversations, packets, bytes };
  }
}

function clean<T extends object>(e: T): T {
  const { ts: _ts, fromA: _f, ...rest } = e as T & { ts?: number; fromA?: boolean };
  return rest as T;
}

function isTcp(p: unknown): p is TcpLike {
  return !!p && typeof (p as TcpLike).seqno === 'number' && !!(p as TcpLike).flags;
}

function isUdp(p: unknown): p is UdpLike {
  return !!p && typeof (p as UdpLike).sport === 'number' && Buffer.isBuffer((p as UdpLike).data);
}

function qtype(t: number | undefined): string {
  return t === undefined ? '?' : (QTYPES[t] ?? `TYPE${t}`);
}

function answerText(rr: { type: number; rdata: unknown; data?: unknown; name: string }): string {
  const v = rr.rdata ?? rr.data;
  if (v !== null && v !== undefined && (typeof v === 'string' || (typeof v === 'object' && 'addr' in (v as object)))) return `${qtype(rr.type)} ${String(v)}`;
  return qtype(rr.type);
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
