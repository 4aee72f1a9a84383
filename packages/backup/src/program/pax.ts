/**
 * PAX extended headers with binary-safe values. tar-stream encodes and decodes PAX values as
 * UTF-8 text, which mangles xattr values (security.capability, ACLs are binary) and cannot carry
 * the records GNU tar expects byte for byte. So an entry that needs PAX records gets its 'x' block
 * written here (path, linkpath and every record, each `"<len> key=value\n"` with raw bytes), followed
 * by a plain ustar header with an ASCII stand-in name that tar-stream encodes without adding its
 * own PAX block. On read, the raw records of each PAX block are kept next to tar-stream's decoded
 * ones (`rawPax(header)`).
 */
import type { Extract, Pack } from 'tar-stream';
import { BugError } from '@dockside/common';
import type { TarHeader } from '../model.js';

export type PaxValue = string | Buffer;
/** A header as tar-write builds it: PAX values may be raw bytes. */
export type WriteHeader = Omit<TarHeader, 'pax'> & { pax?: Record<string, PaxValue> };

const RAW = Symbol('dockside.rawPax');

function record(key: string, value: PaxValue): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8'), Buffer.from('\n')]);
  let len = body.length + String(body.length).length;
  if (String(len).length !== String(body.length).length) len = body.length + String(len).length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

/** The body of a PAX 'x' block. */
export function encodePax(records: Iterable<[string, PaxValue]>): Buffer {
  const out: Buffer[] = [];
  for (const [k, v] of records) out.push(record(k, v));
  return Buffer.concat(out);
}

/** Records of a PAX block, values as raw bytes, in order. Stops at the first malformed record. */
export function decodePax(buf: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let off = 0;
  while (off < buf.length) {
    const sp = buf.indexOf(0x20, off);
    if (sp < 0) break;
    const len = Number.parseInt(buf.toString('latin1', off, sp), 10);
    if (!(len > 0) || off + len > buf.length) break;
    const rec = buf.subarray(sp + 1, off + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq < 0) break;
    out.set(rec.toString('utf8', 0, eq), Buffer.from(rec.subarray(eq + 1)));
    off += len;
  }
  return out;
}

/** Keep the raw bytes of every PAX block tar-stream decodes (attached to the entry's header.pax). */
export function keepRawPax(ex: Extract): void {
  const x = ex as unknown as { _decodeLongHeader(buf: Buffer): void; _header?: { type?: string }; _pax?: object | null };
  const orig = x._decodeLongHeader.bind(x);
  x._decodeLongHeader = (buf: Buffer) => {
    orig(buf);
    if (x._header?.type === 'pax-header' && x._pax) Object.defineProperty(x._pax, RAW, { value: decodePax(buf), enumerable: false });
  };
}

/** The raw PAX records of an entry (empty when it had none or keepRawPax was not installed). */
export function rawPax(h: TarHeader): Map<string, Buffer> {
  return (h.pax as unknown as Record<symbol, Map<string, Buffer>> | null | undefined)?.[RAW] ?? new Map();
}

/** A printable-ASCII stand-in that fits a ustar name field (the PAX path is the real name). */
function standIn(text: string, max: number): string {
  const ascii = text.replace(/[^\x20-\x7e]/g, '_');
  return ascii.length <= max ? ascii : ascii.slice(ascii.length - max);
}

function octal(buf: Buffer, value: number, off: number, len: number): void {
  buf.write(`${value.toString(8).padStart(len - 1, '0')}\0`, off, len, 'latin1');
}

/** The 'x' header block and padded body: pushed straight into the pack, between two entries. */
export function paxBlock(body: Buffer, mtime: Date): Buffer {
  const h = Buffer.alloc(512);
  h.write('PaxHeader', 0, 'latin1');
  octal(h, 0o644, 100, 8);
  octal(h, 0, 108, 8);
  octal(h, 0, 116, 8);
  octal(h, body.length, 124, 12);
  octal(h, Math.max(0, Math.min(0o77777777777, Math.floor(mtime.getTime() / 1000))), 136, 12);
  h.write('x', 156, 'latin1');
  h.write('ustar\x0000', 257, 'latin1');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  const pad = (512 - (body.length % 512)) % 512;
  return Buffer.concat([h, body, Buffer.alloc(pad)]);
}

/** path, linkpath and the header's own records, in that order. */
function paxRecords(h: WriteHeader & { pax: Record<string, PaxValue> }): Array<[string, PaxValue]> {
  // Names that are not UTF-8 go as their raw bytes, marked hdrcharset=BINARY (as GNU tar writes
  // them), so that GNU tar extracts the exact name; DOCKSIDE.raw* stays for older dockside readers.
  const rawPath = h.pax['DOCKSIDE.rawpath'];
  const rawLink = h.pax['DOCKSIDE.rawlinkpath'];
  const records: Array<[string, PaxValue]> = rawPath || rawLink ? [['hdrcharset', 'BINARY']] : [];
  records.push(['path', rawPath ? Buffer.from(rawPath.toString(), 'base64') : h.name]);
  if (h.linkname) records.push(['linkpath', rawLink ? Buffer.from(rawLink.toString(), 'base64') : h.linkname]);
  for (const [k, v] of Object.entries(h.pax)) records.push([k, v]);
  return records;
}

/**
 * Write the PAX block of `h` (if it has records) and return the header to give tar-stream for the
 * entry itself.
 */
export function writePax(pack: Pack, h: WriteHeader): TarHeader {
  if (!h.pax || Object.keys(h.pax).length === 0) {
    const { pax: _, ...plain } = h;
    return plain;
  }
  const records = paxRecords(h as WriteHeader & { pax: Record<string, PaxValue> });
  // tar-stream has no way to write an 'x' block with a body of ours; the pack is idle here (the
  // previous entry was awaited), so the block goes straight into its output.
  (pack as unknown as { push(b: Buffer): boolean }).push(paxBlock(encodePax(records), h.mtime ?? new Date(0)));
  const { pax: _, ...plain } = h;
  return { ...plain, name: standIn(h.name, 99), ...(h.linkname ? { linkname: standIn(h.linkname, 99) } : {}) };
}

const TYPEFLAG: Record<string, string> = { file: '0', link: '1', symlink: '2', 'character-device': '3', 'block-device': '4', directory: '5', fifo: '6', 'contiguous-file': '7' };
const MAX_ID = 0o7777777;
const ASCII_NAME = /^[\x20-\x7e]{1,99}$/;

/** A ustar header block for `h` (its name and link name must fit: ASCII, at most 99 bytes). */
export function ustarHeader(h: TarHeader): Buffer {
  const b = Buffer.alloc(512);
  b.write(h.name, 0, 100, 'latin1');
  octal(b, (h.mode ?? 0o644) & 0o7777, 100, 8);
  octal(b, Math.min(h.uid ?? 0, MAX_ID), 108, 8);
  octal(b, Math.min(h.gid ?? 0, MAX_ID), 116, 8);
  const size = h.size ?? 0;
  if (size > 0o77777777777) {
    // base-256 for sizes of 8 GiB and more
    b[124] = 0x80;
    let n = size;
    for (let i = 11; i > 0; i--) {
      b[124 + i] = n % 256;
      n = Math.floor(n / 256);
    }
  } else octal(b, size, 124, 12);
  octal(b, Math.max(0, Math.min(0o77777777777, Math.floor((h.mtime ?? new Date(0)).getTime() / 1000))), 136, 12);
  b.write(TYPEFLAG[h.type ?? 'file'] ?? '0', 156, 'latin1');
  if (h.linkname) b.write(h.linkname, 157, 100, 'latin1');
  b.write('ustar\x0000', 257, 'latin1');
  if (h.type === 'character-device' || h.type === 'block-device') {
    octal(b, h.devmajor ?? 0, 329, 8);
    octal(b, h.devminor ?? 0, 337, 8);
  }
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return b;
}

/**
 * One whole entry as bytes: its PAX block when it needs one (records, a name that does not fit
 * ustar, ids too large for octal), the ustar header, the body and its padding. Pushed into the
 * pack in one piece: small files and header-only entries (most of a volume) skip tar-stream's
 * per-entry machinery.
 */
export function encodeEntry(h: WriteHeader, body?: Buffer): Buffer {
  const size = body?.length ?? 0;
  const big = (h.uid ?? 0) > MAX_ID || (h.gid ?? 0) > MAX_ID;
  const fits = ASCII_NAME.test(h.name) && (!h.linkname || ASCII_NAME.test(h.linkname));
  const parts: Buffer[] = [];
  let header: TarHeader;
  if (!fits || big || (h.pax && Object.keys(h.pax).length)) {
    const pax: Record<string, PaxValue> = { ...h.pax };
    if (big) Object.assign(pax, { uid: String(h.uid ?? 0), gid: String(h.gid ?? 0) });
    const records = paxRecords({ ...h, pax });
    parts.push(paxBlock(encodePax(records), h.mtime ?? new Date(0)));
    const { pax: _, ...plain } = h;
    header = { ...plain, name: standIn(h.name, 99), ...(h.linkname ? { linkname: standIn(h.linkname, 99) } : {}) };
  } else {
    const { pax: _, ...plain } = h;
    header = plain;
  }
  parts.push(ustarHeader({ ...header, size }));
  if (body && size) {
    parts.push(body);
    const pad = (512 - (size % 512)) % 512;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  return Buffer.concat(parts);
}

/**
 * A file entry streamed into `pack` after its header. Every failure (the pack destroyed because
 * the destination failed, a bad size) reaches the caller as a rejected `write` or `end`, never as
 * an 'error' event nobody listens to (which ended the sidecar with a stack trace), and a write
 * never waits for a 'drain' that a destroyed entry will not send.
 */
export interface EntryWriter {
  write(chunk: Buffer): Promise<void>;
  end(): Promise<void>;
}

export function entryWriter(pack: Pack, header: TarHeader): EntryWriter {
  let done!: () => void;
  let failed!: (e: Error) => void;
  const finished = new Promise<void>((res, rej) => {
    done = res;
    failed = rej;
  });
  finished.catch(() => undefined); // observed through write/end
  const sink = pack.entry({ ...header } as never, (err?: Error | null) => (err ? failed(err) : done())) as unknown as NodeJS.WritableStream & NodeJS.EventEmitter;
  sink.on('error', (err: Error) => failed(err));
  return {
    async write(chunk) {
      if (sink.write(chunk)) return;
      await Promise.race([
        new Promise<void>((res) => sink.once('drain', () => res())),
        finished.then(() => {
          throw new BugError('tar entry ended while being written');
        }),
      ]);
    },
    async end() {
      sink.end();
      await finished;
    },
  };
}
