/**
 * JSON read the way the Docker engine reads it (Go's encoding/json), for the api-proxy's body
 * checks. `JSON.parse` is not that: it keeps only the last of two equal keys and matches names
 * exactly, while Go matches an object key to a struct field case-insensitively (an exact match
 * preferred; U+212A KELVIN SIGN folds to `k`, U+017F LONG S to `s`), decodes `\u` escapes in keys
 * before matching, turns invalid UTF-8 and lone surrogates into U+FFFD, ignores unknown keys and
 * lets the last of several matching keys win.
 *
 * So the proxy parses with `parseGoJson` (a small tokenizer that keeps every member, duplicates
 * included, in order), then `decodeGoStruct` maps it onto a schema of the engine's types with Go's
 * matching rules, refusing what would make the engine obey something the policy did not see: two
 * members naming one field (whatever their spelling, even the same spelling twice), unknown fields
 * (unless the schema says they are dropped), values of the wrong type, trailing bytes. What comes
 * out carries the engine's exact field names, and `serialiseCanonical` writes it back: that, never
 * the client's bytes, is what the proxy forwards.
 */

export type GoJson =
  | { t: 'null' }
  | { t: 'bool'; v: boolean }
  | { t: 'num'; raw: string }
  | { t: 'str'; v: string }
  | { t: 'arr'; items: GoJson[] }
  | { t: 'obj'; members: Array<{ key: string; value: GoJson }> };

/** A body the engine would read differently, or not at all: refused with this message. */
export class GoJsonError extends Error {}

const MAX_DEPTH = 64;

/** Parse `input` (bytes are decoded as UTF-8, invalid sequences becoming U+FFFD, as Go does). */
export function parseGoJson(input: Buffer | string): GoJson {
  // ignoreBOM: keep a leading BOM as a character, so it is refused (Go refuses it too).
  const s = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(input);
  let i = 0;
  const fail = (what: string): never => {
    throw new GoJsonError(`${what} at offset ${i}`);
  };
  const ws = () => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++;
  };
  const str = (): string => {
    i++; // opening quote
    let out = '';
    for (;;) {
      if (i >= s.length) fail('unterminated string');
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return out;
      }
      if (c < 0x20) fail('control character in string');
      if (c !== 0x5c) {
        // A lone surrogate here came from the decoder only for astral pairs; keep pairs, replace strays.
        if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) {
          out += s.slice(i, i + 2);
          i += 2;
        } else {
          out += c >= 0xd800 && c <= 0xdfff ? '\ufffd' : s[i];
          i++;
        }
        continue;
      }
      const e = s[i + 1];
      i += 2;
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          const hex = (at: number): number => {
            const h = s.slice(at, at + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(h)) fail('bad \\u escape');
            return parseInt(h, 16);
          };
          const u = hex(i);
          i += 4;
          if (u >= 0xd800 && u <= 0xdbff && s[i] === '\\' && s[i + 1] === 'u') {
            const lo = hex(i + 2);
            if (lo >= 0xdc00 && lo <= 0xdfff) {
              out += String.fromCharCode(u, lo);
              i += 6;
              break;
            }
          }
          // Go: a surrogate that is not half of a pair is U+FFFD.
          out += u >= 0xd800 && u <= 0xdfff ? '\ufffd' : String.fromCharCode(u);
          break;
        }
        default:
          i -= 2;
          fail('bad escape in string');
      }
    }
  };
  const value = (depth: number): GoJson => {
    if (depth > MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH}`);
    ws();
    const c = s[i];
    if (c === '{') {
      i++;
      const members: Array<{ key: string; value: GoJson }> = [];
      ws();
      if (s[i] === '}') {
        i++;
        return { t: 'obj', members };
      }
      for (;;) {
        ws();
        if (s[i] !== '"') fail('expected a key');
        const key = str();
        ws();
        if (s[i] !== ':') fail("expected ':'");
        i++;
        members.push({ key, value: value(depth + 1) });
        ws();
        if (s[i] === ',') {
          i++;
          continue;
        }
        if (s[i] === '}') {
          i++;
          return { t: 'obj', members };
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      const items: GoJson[] = [];
      ws();
      if (s[i] === ']') {
        i++;
        return { t: 'arr', items };
      }
      for (;;) {
        items.push(value(depth + 1));
        ws();
        if (s[i] === ',') {
          i++;
          continue;
        }
        if (s[i] === ']') {
          i++;
          return { t: 'arr', items };
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return { t: 'str', v: str() };
    for (const [lit, v] of [
      ['true', { t: 'bool', v: true }],
      ['false', { t: 'bool', v: false }],
      ['null', { t: 'null' }],
    ] as const) {
      if (s.startsWith(lit, i)) {
        i += lit.length;
        return v;
      }
    }
    const m = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(s.slice(i, i + 400));
    if (m) {
      i += m[0].length;
      return { t: 'num', raw: m[0] };
    }
    return fail(c === undefined ? 'unexpected end' : 'unexpected character');
  };
  const v = value(0);
  ws();
  // Go's decoder stops after one value; dockerd 20.10 then ignores the rest. Nothing may hide there.
  if (i < s.length) fail('content after the JSON value');
  return v;
}

/**
 * Go's case folding of a key for matching an (ASCII) field name: ASCII letters upper-cased, KELVIN
 * SIGN as K, LONG S as S (the only non-ASCII runes whose fold class holds an ASCII letter); any
 * other character is kept, so it can only match itself.
 */
export function goFoldKey(key: string): string {
  let out = '';
  for (const ch of key) {
    if (ch === '\u212a') out += 'K';
    else if (ch === '\u017f') out += 'S';
    else if (ch >= 'a' && ch <= 'z') out += ch.toUpperCase();
    else out += ch;
  }
  return out;
}

/** The field of `names` the engine decodes `key` into (exact match first, then Go's fold), or undefined. */
export function goFieldFor(key: string, names: readonly string[]): string | undefined {
  if (names.includes(key)) return key;
  const k = goFoldKey(key);
  return names.find((n) => goFoldKey(n) === k);
}

// ------------------------------------------------------------------------------------------
// Schemas of the engine's types and decoding onto them.

/** A number kept as its literal (an int64 may not fit a double); written back as is. */
export class GoNumber {
  constructor(readonly raw: string) {}
  toJSON(): number {
    return Number(this.raw);
  }
}

export type Canonical = boolean | string | GoNumber | Canonical[] | { [k: string]: Canonical };

export type GoType =
  | 'bool'
  | 'string'
  | 'int'
  | 'uint'
  /** Docker's strslice: a string or a list of strings (canonical: a list). */
  | 'strslice'
  /** struct{} values (PortSet, Volumes): any object, its members ignored (canonical: {}). */
  | 'empty'
  | { array: GoType; max?: number }
  | { map: GoType }
  | GoStruct;

export interface GoStruct {
  fields: Readonly<Record<string, GoType>>;
  /** What an unknown key does: refused (the default), or dropped as the engine drops it. */
  unknown?: 'refuse' | 'drop';
}

const isStruct = (t: GoType): t is GoStruct => typeof t === 'object' && 'fields' in t;

/** Decode `v` as the engine decodes it into a value of type `t`; `null` when Go leaves it unset. */
function decodeValue(v: GoJson, t: GoType, path: string): Canonical | null {
  if (v.t === 'null') return null;
  const want = (what: string): never => {
    throw new GoJsonError(`${path} is not ${what}`);
  };
  if (t === 'bool') return v.t === 'bool' ? v.v : want('a boolean');
  if (t === 'string') return v.t === 'str' ? v.v : want('a string');
  if (t === 'int' || t === 'uint') {
    if (v.t !== 'num' || !/^-?[0-9]+$/.test(v.raw)) return want(t === 'int' ? 'an integer' : 'a non-negative integer');
    const n = BigInt(v.raw);
    if (n > 2n ** 63n - 1n || n < -(2n ** 63n) || (t === 'uint' && n < 0n)) return want('an integer in range');
    return new GoNumber(v.raw);
  }
  if (t === 'strslice') {
    if (v.t === 'str') return [v.v];
    return decodeValue(v, { array: 'string' }, path);
  }
  if (t === 'empty') return v.t === 'obj' ? {} : want('an object');
  if ('array' in t) {
    if (v.t !== 'arr') return want('a list');
    if (t.max !== undefined && v.items.length > t.max) return want(`a list of at most ${t.max}`);
    return v.items.map((item, n) => {
      const d = decodeValue(item, t.array, `${path}[${n}]`);
      if (d === null) throw new GoJsonError(`${path}[${n}] is null`);
      return d;
    });
  }
  if ('map' in t) {
    if (v.t !== 'obj') return want('an object');
    const out: { [k: string]: Canonical } = {};
    const seen = new Set<string>();
    for (const m of v.members) {
      // Map keys are matched exactly by Go; a repeated one would still be "last wins".
      if (seen.has(m.key)) throw new GoJsonError(`${path} names ${JSON.stringify(m.key)} twice`);
      seen.add(m.key);
      const d = decodeValue(m.value, t.map, `${path}.${m.key}`);
      if (d === null) throw new GoJsonError(`${path}.${m.key} is null`);
      out[m.key] = d;
    }
    return out;
  }
  if (v.t !== 'obj') return want('an object');
  return decodeGoStruct(v, t, path);
}

/**
 * Decode an object onto `schema` with Go's matching rules. Refuses two members matching one
 * field, unknown keys (unless the schema drops them), wrong types. The result has the engine's
 * field names, in schema order, without the fields Go would leave unset (null).
 */
export function decodeGoStruct(v: GoJson, schema: GoStruct, path: string): { [k: string]: Canonical } {
  if (v.t !== 'obj') throw new GoJsonError(`${path || 'the body'} is not a JSON object`);
  const names = Object.keys(schema.fields);
  const found = new Map<string, { key: string; value: GoJson }>();
  for (const m of v.members) {
    const field = goFieldFor(m.key, names);
    const where = path ? `${path}.${m.key}` : m.key;
    if (field === undefined) {
      if (schema.unknown === 'drop') continue;
      throw new GoJsonError(`${JSON.stringify(where)} is not a field the policy knows`);
    }
    const prev = found.get(field);
    if (prev) {
      throw new GoJsonError(`${path ? `${path}.` : ''}${field} is given twice (${JSON.stringify(prev.key)} and ${JSON.stringify(m.key)})`);
    }
    found.set(field, m);
  }
  const out: { [k: string]: Canonical } = {};
  for (const name of names) {
    const m = found.get(name);
    if (!m) continue;
    const d = decodeValue(m.value, schema.fields[name] as GoType, path ? `${path}.${name}` : name);
    if (d !== null) out[name] = d;
  }
  return out;
}

/** Parse and decode `input` onto `schema` in one go (an empty body is an empty object). */
export function decodeGoBody(input: Buffer | string, schema: GoStruct): { [k: string]: Canonical } {
  const empty = typeof input === 'string' ? input.trim() === '' : input.toString('latin1').trim() === '';
  return decodeGoStruct(empty ? { t: 'obj', members: [] } : parseGoJson(input), schema, '');
}

/** JSON text of a decoded value: exact field names, numbers as their literals. */
export function serialiseCanonical(v: Canonical): string {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof GoNumber) return v.raw;
  if (Array.isArray(v)) return `[${v.map(serialiseCanonical).join(',')}]`;
  return `{${Object.entries(v)
    .map(([k, x]) => `${JSON.stringify(k)}:${serialiseCanonical(x)}`)
    .join(',')}}`;
}

export { isStruct as isGoStruct };
