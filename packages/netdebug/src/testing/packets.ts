/**
 * Building real packet bytes (Ethernet, IPv4, TCP, UDP, ICMP, DNS) for tests and benchmarks. Header
 * checksums are computed, so tools that verify them (tshark) accept the frames.
 * Test data only: src/testing/ is excluded from the build (tsconfig.json), so dist/ never carries it.
 */

function checksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
  if (b.length % 2) sum += (b[b.length - 1] ?? 0) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

function ip4(a: string): Buffer {
  return Buffer.from(a.split('.').map(Number));
}

export function ethernet(payload: Buffer, ethertype = 0x0800): Buffer {
  const h = Buffer.alloc(14);
  Buffer.from([0x02, 0, 0, 0, 0, 2]).copy(h, 0);
  Buffer.from([0x02, 0, 0, 0, 0, 1]).copy(h, 6);
  h.writeUInt16BE(ethertype, 12);
  return Buffer.concat([h, payload]);
}

export function ipv4(src: string, dst: string, protocol: number, payload: Buffer, id = 1): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + payload.length, 2);
  h.writeUInt16BE(id & 0xffff, 4);
  h.writeUInt16BE(0x4000, 6);
  h[8] = 64;
  h[9] = protocol;
  ip4(src).copy(h, 12);
  ip4(dst).copy(h, 16);
  h.writeUInt16BE(checksum(h), 10);
  return Buffer.concat([h, payload]);
}

function l4Checksum(src: string, dst: string, protocol: number, seg: Buffer): number {
  const pseudo = Buffer.alloc(12);
  ip4(src).copy(pseudo, 0);
  ip4(dst).copy(pseudo, 4);
  pseudo[9] = protocol;
  pseudo.writeUInt16BE(seg.length, 10);
  return checksum(Buffer.concat([pseudo, seg]));
}

export interface TcpFlags {
  syn?: boolean;
  ack?: boolean;
  fin?: boolean;
  rst?: boolean;
  psh?: boolean;
}

export function tcp(src: string, sport: number, dst: string, dport: number, seq: number, ack: number, flags: TcpFlags, data: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt32BE(seq >>> 0, 4);
  h.writeUInt32BE(ack >>> 0, 8);
  h[12] = 5 << 4;
  h[13] = (flags.fin ? 1 : 0) | (flags.syn ? 2 : 0) | (flags.rst ? 4 : 0) | (flags.psh ? 8 : 0) | (flags.ack ? 16 : 0);
  h.writeUInt16BE(65535, 14);
  const seg = Buffer.concat([h, data]);
  seg.writeUInt16BE(l4Checksum(src, dst, 6, seg), 16);
  return ethernet(ipv4(src, dst, 6, seg));
}

export function udp(src: string, sport: number, dst: string, dport: number, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt16BE(8 + data.length, 4);
  const seg = Buffer.concat([h, data]);
  seg.writeUInt16BE(l4Checksum(src, dst, 17, seg) || 0xffff, 6);
  return ethernet(ipv4(src, dst, 17, seg));
}

export function icmp(src: string, dst: string, type: number, code: number, quoted: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = type;
  h[1] = code;
  const msg = Buffer.concat([h, quoted]);
  msg.writeUInt16BE(checksum(msg), 2);
  return ethernet(ipv4(src, dst, 1, msg));
}

function dnsName(name: string): Buffer {
  return Buffer.concat([...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
}

/** A DNS query (rcode/answers absent) or response for one A question. */
export function dns(id: number, name: string, opts: { response?: boolean; rcode?: number; answers?: string[] } = {}): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(opts.response ? 0x8180 | (opts.rcode ?? 0) : 0x0100, 2);
  h.writeUInt16BE(1, 4);
  h.writeUInt16BE(opts.answers?.length ?? 0, 6);
  const q = Buffer.concat([dnsName(name), Buffer.from([0, 1, 0, 1])]);
  const answers = (opts.answers ?? []).map((a) => {
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0);
    rr.writeUInt16BE(1, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(60, 6);
    rr.writeUInt16BE(4, 10);
    return Buffer.concat([rr, ip4(a)]);
  });
  return Buffer.concat([h, q, ...answers]);
}

/** An ICMPv6 message (type, code, 4 bytes of zero, quoted bytes) between two IPv6 addresses. */
export function icmp6(src: string, dst: string, type: number, code: number, quoted: Buffer): Buffer {
  const addr = (a: string) => {
    const [head = '', tail = ''] = a.split('::');
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
    const b = Buffer.alloc(16);
    groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
    return b;
  };
  const msg = Buffer.concat([Buffer.from([type, code, 0, 0, 0, 0, 0, 0]), quoted]);
  const pseudo = Buffer.alloc(40);
  addr(src).copy(pseudo, 0);
  addr(dst).copy(pseudo, 16);
  pseudo.writeUInt32BE(msg.length, 32);
  pseudo[39] = 58;
  msg.writeUInt16BE(checksum(Buffer.concat([pseudo, msg])), 2);
  const h = Buffer.alloc(40);
  h.writeUInt32BE(0x60000000, 0);
  h.writeUInt16BE(msg.length, 4);
  h[6] = 58;
  h[7] = 64;
  addr(src).copy(h, 8);
  addr(dst).copy(h, 24);
  return ethernet(Buffer.concat([h, msg]), 0x86dd);
}
