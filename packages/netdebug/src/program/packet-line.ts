/** One line per packet, tcpdump-like, for `dockside capture` without -w or --summary. */
import type { PcapLib } from '../pcap-lib.js';

export function packetLine(lib: PcapLib, linkType: string, header: Buffer, buf: Buffer): string {
  const sec = header.readUInt32LE(0);
  const usec = header.readUInt32LE(4);
  const len = header.readUInt32LE(12);
  const time = `${new Date(sec * 1000).toISOString().slice(11, 19)}.${String(usec).padStart(6, '0')}`;
  try {
    const pkt = lib.decode.packet({ buf, header, link_type: linkType }) as { payload?: { payload?: unknown; version?: number } };
    const l2 = pkt.payload;
    const ip = (l2 && typeof l2.version === 'number' ? l2 : l2?.payload) as
      | { version: number; saddr: object; daddr: object; protocol?: number; nextHeader?: number; payload?: Record<string, unknown> }
      | undefined;
    if (!ip || (ip.version !== 4 && ip.version !== 6)) return `${time} non-IP frame, length ${len}`;
    const proto = ip.version === 4 ? ip.protocol : ip.nextHeader;
    const p = ip.payload ?? {};
    const v = ip.version === 4 ? 'IP' : 'IP6';
    if (proto === 6) {
      const f = p['flags'] as Record<string, boolean> | undefined;
      const flags = f ? `${f['syn'] ? 'S' : ''}${f['fin'] ? 'F' : ''}${f['rst'] ? 'R' : ''}${f['psh'] ? 'P' : ''}${f['ack'] ? '.' : ''}` : '';
      return `${time} ${v} ${String(ip.saddr)}.${p['sport']} > ${String(ip.daddr)}.${p['dport']}: TCP [${flags}] seq ${p['seqno']}, length ${p['dataLength']}`;
    }
    if (proto === 17) return `${time} ${v} ${String(ip.saddr)}.${p['sport']} > ${String(ip.daddr)}.${p['dport']}: UDP, length ${Number(p['length'] ?? 8) - 8}`;
    if (proto === 1) return `${time} ${v} ${String(ip.saddr)} > ${String(ip.daddr)}: ICMP type ${p['type']} code ${p['code']}, length ${len}`;
    return `${time} ${v} ${String(ip.saddr)} > ${String(ip.daddr)}: protocol ${proto}, length ${len}`;
  } catch {
    return `${time} undecodable frame, length ${len}`;
  }
}
