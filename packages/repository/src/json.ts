/**
 * JSON as Go's encoding/json writes it, for the few places where the bytes matter (tree blobs are
 * addressed by their hash): `<`, `>`, `&`, U+2028 and U+2029 escaped, control characters as
 * `\u00XX` except `\n`, `\r`, `\t`; lone surrogates (names that were not UTF-8) become U+FFFD.
 */
import { BugError } from '@dockside/common';
import { CorruptRepositoryError } from './errors.js';
export function goString(s: string): string {
  let out = '"';
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c < 0x20 || c === 0x22 || c === 0x5c || c === 0x3c || c === 0x3e || c === 0x26 || c === 0x2028 || c === 0x2029) {
      if (c === 0x22) rep = '\\"';
      else if (c === 0x5c) rep = '\\\\';
      else if (c === 0x0a) rep = '\\n';
      else if (c === 0x0d) rep = '\\r';
      else if (c === 0x09) rep = '\\t';
      else rep = `\\u${c.toString(16).padStart(4, '0')}`;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const n = s.charCodeAt(i + 1);
      if (c <= 0xdbff && n >= 0xdc00 && n <= 0xdfff) {
        i++;
        continue;
      }
      rep = '\ufffd';
    }
    if (rep !== undefined) {
      out += s.slice(last, i) + rep;
      last = i + 1;
    }
  }
  return out + s.slice(last) + '"';
}

/** A value in Go's JSON form: objects keep their key order, strings use goString. */
export function goJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return goString(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new BugError('not a JSON number');
    return String(v);
  }
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return `[${v.map(goJson).join(',')}]`;
  const parts: string[] = [];
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) parts.push(`${goString(k)}:${goJson(x)}`);
  return `{${parts.join(',')}}`;
}

/**
 * A time as Go's time.Time marshals it (RFC 3339, nanoseconds with trailing zeros trimmed), in UTC.
 * `ns` is nanoseconds since the epoch.
 */
export function goTime(ns: bigint): string {
  const sec = ns / 1_000_000_000n - (ns % 1_000_000_000n < 0n ? 1n : 0n);
  const frac = ns - sec * 1_000_000_000n;
  const d = new Date(Number(sec) * 1000);
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z
  let f = frac === 0n ? '' : `.${frac.toString().padStart(9, '0')}`.replace(/0+$/, '');
  if (f === '.') f = '';
  return `${iso.slice(0, 19)}${f}Z`;
}

/** Parse an RFC 3339 time (any offset, up to nanoseconds) into nanoseconds since the epoch. */
export function parseGoTime(s: string): bigint {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(s);
  if (!m) throw new CorruptRepositoryError(`not an RFC 3339 time: ${s}`);
  const base = Date.parse(`${m[1]}${m[3] === 'Z' ? 'Z' : m[3]}`);
  if (Number.isNaN(base)) throw new CorruptRepositoryError(`not an RFC 3339 time: ${s}`);
  const frac = m[2] ? BigInt(m[2].slice(1).padEnd(9, '0').slice(0, 9)) : 0n;
  return BigInt(base) * 1_000_000n + frac;
}
