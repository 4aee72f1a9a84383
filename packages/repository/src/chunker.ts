/**
 * restic's content-defined chunker (restic/chunker v0.4.0): a Rabin fingerprint over a 64-byte
 * window, with the repository's polynomial; a chunk ends after a byte where the digest's low 20
 * bits are zero, but never before 512 KiB and always at 8 MiB. After each cut the chunker resets:
 * the first MinSize - 64 bytes of the next chunk are not hashed, and the digest starts as if the
 * byte 1 had been slid in. Following this exactly gives restic's cut points, hence its blob ids.
 *
 * Polynomials of degree 40 to 53 are accepted (restic writes 53). The digest has degree < 53, so it is held as two 32-bit halves (hi < 2^21, lo) and every step
 * is plain 32-bit integer arithmetic, which V8 runs without allocating.
 */
import { deg, mod, type Pol } from './polynomial.js';
import { CorruptRepositoryError } from './errors.js';

export const MIN_SIZE = 512 * 1024;
export const MAX_SIZE = 8 * 1024 * 1024;
const WINDOW = 64;
const SPLIT_MASK = (1 << 20) - 1;

export interface ChunkerTables {
  polShift: number;
  outHi: Int32Array;
  outLo: Int32Array;
  modHi: Int32Array;
  modLo: Int32Array;
}

function appendByte(h: Pol, b: number, pol: Pol): Pol {
  return mod((h << 8n) | BigInt(b), pol);
}

/** The sliding-out and reduction tables for a polynomial (restic's fillTables). */
export function chunkerTables(pol: Pol): ChunkerTables {
  const k = deg(pol);
  if (k < 40 || k > 53) throw new CorruptRepositoryError(`the chunker polynomial must have a degree from 40 to 53 (this one: ${k})`);
  const t: ChunkerTables = {
    polShift: k - 8,
    outHi: new Int32Array(256),
    outLo: new Int32Array(256),
    modHi: new Int32Array(256),
    modLo: new Int32Array(256),
  };
  for (let b = 0; b < 256; b++) {
    let h = appendByte(0n, b, pol);
    for (let i = 0; i < WINDOW - 1; i++) h = appendByte(h, 0, pol);
    t.outHi[b] = Number(h >> 32n);
    t.outLo[b] = Number(BigInt.asIntN(32, h));
    const m = mod(BigInt(b) << BigInt(k), pol) | (BigInt(b) << BigInt(k));
    t.modHi[b] = Number(m >> 32n);
    t.modLo[b] = Number(BigInt.asIntN(32, m));
  }
  return t;
}

/**
 * Streaming chunker for one file: feed it buffers in order, it reports cut points. Call `reset()`
 * (or make a new one) for every file.
 */
export class Chunker {
  private readonly win = new Uint8Array(WINDOW);
  private wpos = 0;
  private hi = 0;
  private lo = 0;
  private pre = 0;
  /** Bytes in the current chunk so far. */
  count = 0;

  constructor(private readonly t: ChunkerTables) {
    this.reset();
  }

  reset(): void {
    this.win.fill(0);
    this.win[0] = 1;
    this.wpos = 1;
    // digest = updateDigest(out[0], 1): out[0] is the hash of zeros, i.e. 0.
    const t = this.t;
    let hi = t.outHi[0] as number;
    let lo = t.outLo[0] as number;
    const idx = this.index(hi);
    hi = ((hi << 8) | (lo >>> 24)) ^ (t.modHi[idx] as number);
    lo = (((lo << 8) | 1) ^ (t.modLo[idx] as number)) >>> 0;
    this.hi = hi >>> 0;
    this.lo = lo;
    this.count = 0;
    this.pre = MIN_SIZE - WINDOW;
  }

  private index(hi: number): number {
    return hi >>> (this.t.polShift - 32);
  }

  /**
   * Look for the next cut in `buf[start:]`. Returns the offset just past the cut (the chunker has
   * then reset for the next chunk), or -1 when the whole rest of `buf` belongs to the current chunk.
   */
  next(buf: Uint8Array, start = 0): number {
    let i = start;
    const end = buf.length;
    if (this.pre > 0) {
      const avail = end - i;
      if (this.pre >= avail) {
        this.pre -= avail;
        this.count += avail;
        return -1;
      }
      i += this.pre;
      this.count += this.pre;
      this.pre = 0;
    }
    const t = this.t;
    const outHi = t.outHi;
    const outLo = t.outLo;
    const modHi = t.modHi;
    const modLo = t.modLo;
    const win = this.win;
    const shift = t.polShift - 32;
    let hi = this.hi;
    let lo = this.lo;
    let wpos = this.wpos;
    let add = this.count;
    for (; i < end; i++) {
      const b = buf[i] as number;
      const out = win[wpos] as number;
      win[wpos] = b;
      wpos = (wpos + 1) & (WINDOW - 1);
      hi ^= outHi[out] as number;
      lo ^= outLo[out] as number;
      const idx = hi >>> shift;
      hi = (((hi << 8) | (lo >>> 24)) ^ (modHi[idx] as number)) & 0x1fffffff;
      lo = ((lo << 8) | b) ^ (modLo[idx] as number);
      add++;
      if (((lo & SPLIT_MASK) === 0 || add >= MAX_SIZE) && add >= MIN_SIZE) {
        this.reset();
        return i + 1;
      }
    }
    this.hi = hi;
    this.lo = lo >>> 0;
    this.wpos = wpos;
    this.count = add;
    return -1;
  }
}
