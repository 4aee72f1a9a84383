/**
 * The classic pcap file format (https://www.tcpdump.org/manpages/pcap-savefile.5.html): a 24-byte
 * global header, then per packet a 16-byte record header and the captured bytes. Pure functions:
 * writing headers (the capture program streams records) and reading records from bytes (tests, and
 * checking a stream record by record).
 */
import { UsageError } from '@dockside/common';

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;

/** Link-layer header types, by the names the `pcap` library reports and their numbers. */
export const LINKTYPES: Record<string, number> = {
  LINKTYPE_NULL: 0,
  LINKTYPE_ETHERNET: 1,
  LINKTYPE_RAW: 101,
  LINKTYPE_LINUX_SLL: 113,
  LINKTYPE_IEEE802_11_RADIO: 127,
};

export function linkTypeName(n: number): string | undefined {
  return Object.entries(LINKTYPES).find(([, v]) => v === n)?.[0];
}

/** The 24-byte global header of a little-endian, microsecond pcap file. */
export function pcapGlobalHeader(linkType: number, snaplen: number): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt32LE(PCAP_MAGIC_US, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  b.writeInt32LE(0, 8);
  b.writeUInt32LE(0, 12);
  b.writeUInt32LE(snaplen, 16);
  b.writeUInt32LE(linkType, 20);
  return b;
}

/** One record: header (seconds, microseconds, captured length, original length) and the bytes. */
export function pcapRecord(tsSec: number, tsUsec: number, data: Buffer, origLen = data.length): Buffer {
  const b = Buffer.alloc(16 + data.length);
  b.writeUInt32LE(tsSec >>> 0, 0);
  b.writeUInt32LE(tsUsec >>> 0, 4);
  b.writeUInt32LE(data.length, 8);
  b.writeUInt32LE(origLen, 12);
  data.copy(b, 16);
  return b;
}

export interface PcapRecord {
  tsSec: number;
  tsUsec: number;
  caplen: number;
  len: number;
  data: Buffer;
}

export interface PcapFileInfo {
  linkType: number;
  snaplen: number;
  nanoseconds: boolean;
  littleEndian: boolean;
}

/** Parse the global header; throws on anything that is not a classic pcap file. */
export function parseGlobalHeader(b: Buffer): PcapFileInfo {
  if (b.length < 24) throw new UsageError('not a pcap file: shorter than its 24-byte header');
  const le = b.readUInt32LE(0);
  const be = b.readUInt32BE(0);
  let littleEndian: boolean;
  let nanoseconds: boolean;
  if (le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS) {
    littleEndian = true;
    nanoseconds = le === PCAP_MAGIC_NS;
  } else if (be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS) {
    littleEndian = false;
    nanoseconds = be === PCAP_MAGIC_NS;
  } else {
    throw new UsageError('not a pcap file (unknown magic number)');
  }
  const u32 = (o: number) => (littleEndian ? b.readUInt32LE(o) : b.readUInt32BE(o));
  return { linkType: u32(20) & 0x0fffffff, snaplen: u32(16), nanoseconds, littleEndian };
}

/** Every complete record in a whole pcap file held in memory (a truncated tail is ignored). */
export function readPcap(file: Buffer): { info: PcapFileInfo; records: PcapRecord[]; truncatedTail: boolean } {
  const info = parseGlobalHeader(file);
  const u32 = (o: number) => (info.littleEndian ? file.readUInt32LE(o) : file.readUInt32BE(o));
  const records: PcapRecord[] = [];
  let off = 24;
  while (off + 16 <= file.length) {
    const caplen = u32(off + 8);
    if (off + 16 + caplen > file.length) break;
    const frac = u32(off + 4);
    records.push({
      tsSec: u32(off),
      tsUsec: info.nanoseconds ? Math.floor(frac / 1000) : frac,
      caplen,
      len: u32(off + 12),
      data: file.subarray(off + 16, off + 16 + caplen),
    });
    off += 16 + caplen;
  }
  return { info, records, truncatedTail: off !== file.length };
}

const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;

/**
 * Whether a pcap or pcapng file ends inside a record (a capture cut off by a full disk or a kill):
 * the record headers are walked (the packet bytes skipped, read in 64 KiB windows), so a large file
 * costs little next to decoding it. libpcap's reader stops there without saying why; tshark warns.
 * Unknown formats answer false (libpcap has already refused them).
 */
export function pcapCutShort(fd: number, size: number, read: (fd: number, buf: Buffer, pos: number) => number): boolean {
  const win = Buffer.alloc(64 * 1024);
  const head = Buffer.alloc(24);
  if (read(fd, head, 0) < 24) return size > 0;
  const le = head.readUInt32LE(0);
  const be = head.readUInt32BE(0);
  let ng = false;
  let little = true;
  if (le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS) little = true;
  else if (be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS) little = false;
  else if (le === PCAPNG_SHB) {
    ng = true;
    const bom = head.readUInt32LE(8);
    if (bom === PCAPNG_BOM) little = true;
    else if (head.readUInt32BE(8) === PCAPNG_BOM) little = false;
    else return false;
  } else return false;
  const u32 = (b: Buffer, o: number) => (little ? b.readUInt32LE(o) : b.readUInt32BE(o));
  // pcap: 16-byte record headers (caplen at +8) after the 24-byte file header; pcapng: blocks
  // with their total length at +4, from offset 0.
  let pos = ng ? 0 : 24;
  const hdr = ng ? 8 : 16;
  let winPos = -1;
  let winLen = 0;
  while (pos < size) {
    if (pos + hdr > size) return true;
    if (winPos < 0 || pos < winPos || pos + hdr > winPos + winLen) {
      winPos = pos;
      winLen = read(fd, win, pos);
      if (winLen < hdr) return true;
    }
    const off = pos - winPos;
    const len = ng ? u32(win, off + 4) : hdr + u32(win, off + 8);
    if (len < hdr) return true; // a corrupt length: the reader stops here too
    pos += len;
  }
  return pos !== size;
}

/** tshark's words for a file cut off inside a record. */
export function cutShortWarning(path: string): string {
  return `The file "${path}" appears to have been cut short in the middle of a packet.`;
}
