/**
 * Loading the `pcap` library (node_pcap: libpcap bindings and packet decoders). It is a native
 * addon, loaded lazily with require so that commands which do not decode never pay for it, and so
 * that the sidecar bundle can keep it external (the image carries a copy built for its Node).
 */
import { createRequire } from 'node:module';
import { UserError } from '@dockside/common';

/** The 16-byte header the library hands to its decoders: sec, usec, caplen, len (little-endian). */
export interface PcapPacketWithHeader {
  buf: Buffer;
  header: Buffer;
  link_type: string;
}

export interface PcapSessionLike {
  link_type: string;
  buf: Buffer;
  header: Buffer;
  on(event: 'packet', fn: (p: PcapPacketWithHeader) => void): unknown;
  on(event: 'complete', fn: () => void): unknown;
  stats(): { ps_recv: number; ps_drop: number; ps_ifdrop: number };
  close(): void;
}

export interface DnsRR {
  name: string;
  type: number;
  class: number;
  ttl: number | null;
  rdata: unknown;
  data?: unknown;
}

export interface DnsMessage {
  id: number;
  header: { isResponse: boolean; responseCode: number; opcode: number };
  qdcount: number;
  ancount: number;
  question?: { rrs: DnsRR[] };
  answer?: { rrs: DnsRR[] };
  _error?: string;
}

export interface PcapLib {
  decode: { packet(p: PcapPacketWithHeader): { payload: unknown } };
  DNS: new () => { decode(buf: Buffer, offset: number): DnsMessage };
  createSession(device: string, opts: { filter?: string; buffer_size?: number; snap_length?: number; buffer_timeout?: number; promiscuous?: boolean }): PcapSessionLike;
  createOfflineSession(path: string, opts?: { filter?: string }): PcapSessionLike;
  lib_version: string;
}

export function loadPcap(): PcapLib {
  const require = createRequire(import.meta.url);
  try {
    const pcap = require('pcap') as Omit<PcapLib, 'DNS'>;
    const DNS = require('pcap/decode/dns') as PcapLib['DNS'];
    return { ...pcap, DNS, decode: pcap.decode, createSession: pcap.createSession, createOfflineSession: pcap.createOfflineSession, lib_version: pcap.lib_version };
  } catch (err) {
    const msg = (err as Error).message;
    const abi = /NODE_MODULE_VERSION (\d+)\.[\s\S]*?requires\s+NODE_MODULE_VERSION (\d+)/.exec(msg);
    // In a sidecar image (the bundle runs from /opt/dockside) the addon came with the image.
    const inImage = import.meta.url.startsWith('file:///opt/dockside/');
    throw new UserError(
      `the pcap library is not available: ${abi ? `its native addon was built for NODE_MODULE_VERSION ${abi[1]}, this Node (${process.version}) needs ${abi[2]}` : msg.split('\n')[0]}`,
      {
        hint: inImage
          ? 'the netdebug image carries a broken pcap addon: rebuild it with `dockside images build --force` (`dockside doctor` checks it)'
          : 'it is a native addon: install libpcap-dev, then `npm install-scripts approve pcap && npm rebuild pcap`',
        code: 'ENOPCAP',
      },
    );
  }
}
