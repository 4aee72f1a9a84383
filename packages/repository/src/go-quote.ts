/**
 * Go's strconv.Quote / Unquote. restic 0.14 stores a node's name quoted (its Node.MarshalJSON:
 * `strconv.Quote(name)` without the outer quotes, then JSON-encoded), so `a"b` is stored as
 * `a\"b` and a byte that is not UTF-8 as `\xff`: names round-trip as bytes.
 */
import { CorruptRepositoryError } from './errors.js';
const PRINT = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');

/** Decode one UTF-8 sequence at `i`: [code point, length], or [-1, 1] for an invalid byte. */
function decodeRune(b: Uint8Array, i: number): [number, number] {
  const c = b[i] as number;
  if (c < 0x80) return [c, 1];
  const need = c >= 0xf0 && c <= 0xf4 ? 3 : c >= 0xe0 ? (c <= 0xef ? 2 : -1) : c >= 0xc2 && c <= 0xdf ? 1 : -1;
  if (need < 0) return [-1, 1];
  let cp = need === 1 ? c & 0x1f : need === 2 ? c & 0x0f : c & 0x07;
  for (let k = 1; k <= need; k++) {
    const x = b[i + k];
    if (x === undefined || (x & 0xc0) !== 0x80) return [-1, 1];
    cp = (cp << 6) | (x & 0x3f);
  }
  const min = need === 1 ? 0x80 : need === 2 ? 0x800 : 0x10000;
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return [-1, 1];
  return [cp, need + 1];
}

/** strconv.Quote(name) without the surrounding quotes. */
export function goQuote(name: Uint8Array): string {
  let out = '';
  for (let i = 0; i < name.length; ) {
    const [r, w] = decodeRune(name, i);
    if (r < 0) out += `\\x${hex(name[i] as number, 2)}`;
    else if (r === 0x22 || r === 0x5c) out += `\\${String.fromCharCode(r)}`;
    else {
      const s = String.fromCodePoint(r);
      if (PRINT.test(s)) out += s;
      else if (r === 7) out += '\\a';
      else if (r === 8) out += '\\b';
      else if (r === 12) out += '\\f';
      else if (r === 10) out += '\\n';
      else if (r === 13) out += '\\r';
      else if (r === 9) out += '\\t';
      else if (r === 11) out += '\\v';
      else if (r < 0x20 || r === 0x7f) out += `\\x${hex(r, 2)}`;
      else if (r < 0x10000) out += `\\u${hex(r, 4)}`;
      else out += `\\U${hex(r, 8)}`;
    }
    i += w;
  }
  return out;
}

/** strconv.Unquote of `"` + s + `"`, as bytes; throws on bad syntax (as restic does). */
export function goUnquote(s: string): Buffer {
  if (!s.includes('\\')) {
    if (s.includes('"')) throw new CorruptRepositoryError(`bad quoted name: ${s}`);
    return Buffer.from(s, 'utf8');
  }
  const out: number[] = [];
  const pushStr = (t: string) => out.push(...Buffer.from(t, 'utf8'));
  for (let i = 0; i < s.length; ) {
    const c = s[i] as string;
    if (c === '"') throw new CorruptRepositoryError(`bad quoted name: ${s}`);
    if (c !== '\\') {
      const cp = s.codePointAt(i) as number;
      const ch = String.fromCodePoint(cp);
      pushStr(ch);
      i += ch.length;
      continue;
    }
    const e = s[i + 1];
    i += 2;
    const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 0x5c, '"': 0x22, "'": 0x27 };
    if (e !== undefined && e in simple) out.push(simple[e] as number);
    else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const h = s.slice(i, i + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(h)) throw new CorruptRepositoryError(`bad escape in name: ${s}`);
      const v = parseInt(h, 16);
      i += n;
      if (e === 'x') out.push(v);
      else {
        if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) throw new CorruptRepositoryError(`bad escape in name: ${s}`);
        pushStr(String.fromCodePoint(v));
      }
    } else if (e !== undefined && e >= '0' && e <= '7') {
      const o = s.slice(i - 1, i + 2);
      if (!/^[0-7]{3}$/.test(o) || parseInt(o, 8) > 255) throw new CorruptRepositoryError(`bad escape in name: ${s}`);
      out.push(parseInt(o, 8));
      i += 2;
    } else throw new CorruptRepositoryError(`bad escape in name: ${s}`);
  }
  return Buffer.from(out);
}
