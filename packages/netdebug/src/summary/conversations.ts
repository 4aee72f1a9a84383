/**
 * Conversations (as tshark's conversation tables: endpoint A is the sender of the first packet) and
 * their per-direction counts. Bounded: at most `cap` conversations are tracked; past it the least
 * recently active one is dropped (counted in `dropped`, its packets and bytes still in `totals`), and
 * the trackers keyed by conversation are told to forget it.
 */
import { BoundedMap } from './bounded-map.js';
import { round, type Conversation } from './report.js';

interface ConvState extends Conversation {
  firstTs: number;
  lastTs: number;
}

interface Totals {
  conversations: number;
  packets: number;
  bytes: number;
}

export class ConversationTracker {
  private readonly convs: BoundedMap<string, ConvState>;
  /** Totals of dropped conversations, by protocol. */
  private readonly droppedTotals = new Map<string, Totals>();
  private seen = 0;

  constructor(cap: number, onDrop?: (key: string) => void) {
    this.convs = new BoundedMap(cap, (key, c) => {
      const t = this.droppedTotals.get(c.protocol) ?? { conversations: 0, packets: 0, bytes: 0 };
      t.conversations++;
      t.packets += c.packets;
      t.bytes += c.bytes;
      this.droppedTotals.set(c.protocol, t);
      onDrop?.(key);
    });
  }

  /** Count one packet from `src` to `dst` (timestamps in microseconds); `fromA` tells its direction. */
  add(protocol: string, src: string, dst: string, ts: number, captureStart: number, len: number): { key: string; conv: Conversation; fromA: boolean } {
    const key = src < dst ? `${protocol} ${src} ${dst}` : `${protocol} ${dst} ${src}`;
    let c = this.convs.touch(key);
    if (!c) {
      c = {
        protocol,
        a: src,
        b: dst,
        packets: 0,
        bytes: 0,
        packetsAtoB: 0,
        bytesAtoB: 0,
        packetsBtoA: 0,
        bytesBtoA: 0,
        relStart: round((ts - captureStart) / 1e6),
        duration: 0,
        resets: 0,
        retransmissions: 0,
        firstTs: ts,
        lastTs: ts,
      };
      this.seen++;
      this.convs.set(key, c);
    }
    c.packets++;
    c.bytes += len;
    const fromA = c.a === src;
    if (fromA) {
      c.packetsAtoB++;
      c.bytesAtoB += len;
    } else {
      c.packetsBtoA++;
      c.bytesBtoA += len;
    }
    c.lastTs = ts;
    return { key, conv: c, fromA };
  }

  /** Conversations seen, including dropped ones. */
  get count(): number {
    return this.seen;
  }

  get dropped(): number {
    return this.convs.dropped;
  }

  get size(): number {
    return this.convs.size;
  }

  /** The `limit` largest conversations (by bytes, then packets). */
  report(limit: number): Conversation[] {
    const convs = [...this.convs.values()];
    convs.sort((x, y) => y.bytes - x.bytes || y.packets - x.packets);
    return convs.slice(0, limit).map((c) => ({
      protocol: c.protocol,
      a: c.a,
      b: c.b,
      packets: c.packets,
      bytes: c.bytes,
      packetsAtoB: c.packetsAtoB,
      bytesAtoB: c.bytesAtoB,
      packetsBtoA: c.packetsBtoA,
      bytesBtoA: c.bytesBtoA,
      relStart: c.relStart,
      duration: round((c.lastTs - c.firstTs) / 1e6),
      resets: c.resets,
      retransmissions: c.retransmissions,
    }));
  }

  /** Totals over every conversation of a protocol (not only those in the report, dropped ones too). */
  totals(protocol: string): Totals {
    const t = { ...(this.droppedTotals.get(protocol) ?? { conversations: 0, packets: 0, bytes: 0 }) };
    for (const c of this.convs.values()) {
      if (c.protocol !== protocol) continue;
      t.conversations++;
      t.packets += c.packets;
      t.bytes += c.bytes;
    }
    return t;
  }
}
