/**
 * TCP resets and retransmissions. A segment is a retransmission when it ends at or before the
 * sequence number its direction already reached. State: the next expected sequence number of each
 * direction of each conversation, forgotten with the conversation (so bounded by its cap).
 */
interface FlowState {
  a: number | undefined;
  b: number | undefined;
}

export interface TcpSegment {
  seqno: number;
  syn: boolean;
  fin: boolean;
  rst: boolean;
  dataLength: number;
}

export class TcpAnomalyTracker {
  private readonly flows = new Map<string, FlowState>();
  resets = 0;
  retransmissions = 0;

  /** One segment of conversation `key`, from its endpoint A or B. */
  segment(key: string, fromA: boolean, t: TcpSegment): { reset: boolean; retransmission: boolean } {
    if (t.rst) this.resets++;
    const segLen = Math.max(0, t.dataLength) + (t.syn ? 1 : 0) + (t.fin ? 1 : 0);
    let retransmission = false;
    if (segLen > 0) {
      let f = this.flows.get(key);
      if (!f) {
        f = { a: undefined, b: undefined };
        this.flows.set(key, f);
      }
      const next = fromA ? f.a : f.b;
      const end = (t.seqno + segLen) >>> 0;
      if (next !== undefined && ((end - next) | 0) <= 0) {
        retransmission = true;
        this.retransmissions++;
      } else if (fromA) f.a = end;
      else f.b = end;
    }
    return { reset: t.rst, retransmission };
  }

  forget(key: string): void {
    this.flows.delete(key);
  }

  get size(): number {
    return this.flows.size;
  }
}
