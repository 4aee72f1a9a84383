/** ICMP and ICMPv6 errors (unreachable, time exceeded, ...): counted, the first `maxEntries` kept. */
import { round, type IcmpError } from './report.js';

/** Link-layer header lengths, to find an IPv6 header in the raw frame. */
const LINK_HEADER_LEN: Record<string, number> = { LINKTYPE_ETHERNET: 14, LINKTYPE_LINUX_SLL: 16, LINKTYPE_RAW: 0, LINKTYPE_NULL: 4 };

export function icmpDescription(v6: boolean, type: number, code: number): string | null {
  if (!v6) {
    if (type === 3) {
      const codes = [
        'net unreachable',
        'host unreachable',
        'protocol unreachable',
        'port unreachable',
        'fragmentation needed',
        'source route failed',
        'destination network unknown',
        'destination host unknown',
      ];
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

export class IcmpTracker {
  errors = 0;
  private readonly entries: IcmpError[] = [];

  constructor(private readonly maxEntries: number) {}

  /**
   * One ICMP (proto 1) or ICMPv6 (proto 58) packet. The pcap library decodes ICMP (v4) only: ICMPv6
   * type and code are read right after the fixed IPv6 header (no extension headers), whose offset
   * is the link-layer header's length.
   */
  packet(proto: 1 | 58, decoded: { type: number; code: number } | undefined, linkType: string, frame: Buffer, from: string, to: string, rel: number): void {
    let type = proto === 1 ? decoded?.type : undefined;
    let code = proto === 1 ? decoded?.code : undefined;
    const l2len = LINK_HEADER_LEN[linkType];
    if (proto === 58 && l2len !== undefined && frame.length >= l2len + 42) {
      type = frame[l2len + 40];
      code = frame[l2len + 41];
    }
    if (type === undefined || code === undefined) return;
    const description = icmpDescription(proto === 58, type, code);
    if (!description) return;
    this.errors++;
    if (this.entries.length < this.maxEntries) this.entries.push({ relTime: round(rel), from, to, type, code, description });
  }

  report(): { errors: number; entries: IcmpError[] } {
    return { errors: this.errors, entries: this.entries.map((e) => ({ ...e })) };
  }
}
