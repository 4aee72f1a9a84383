/**
 * Top talkers: packets and bytes sent and received per address. Bounded: at most `cap` addresses;
 * past it the least recently active one is dropped (counted in `dropped`).
 */
import { BoundedMap } from './bounded-map.js';
import type { Talker } from './report.js';

export class TalkerTracker {
  private readonly talkers: BoundedMap<string, Talker>;

  constructor(cap: number) {
    this.talkers = new BoundedMap(cap);
  }

  add(src: string, dst: string, len: number): void {
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
    let t = this.talkers.touch(address);
    if (!t) {
      t = { address, packets: 0, bytes: 0, packetsSent: 0, bytesSent: 0, packetsReceived: 0, bytesReceived: 0 };
      this.talkers.set(address, t);
    }
    return t;
  }

  get dropped(): number {
    return this.talkers.dropped;
  }

  report(limit: number): Talker[] {
    return [...this.talkers.values()]
      .sort((x, y) => y.bytes - x.bytes || y.packets - x.packets)
      .slice(0, limit)
      .map((t) => ({ ...t }));
  }
}
