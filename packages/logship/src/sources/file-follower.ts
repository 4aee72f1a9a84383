/**
 * Following one log file: recognised by a content fingerprint (a hash of its first line, up to
 * 256 bytes), not only its inode, and read from a byte offset. Rotation by rename + create: the old
 * file is read to its end, then the new one from its start. Rotation by copytruncate: the file is
 * shorter than the offset (or its fingerprint changed), so it is read again from its start. A last
 * line without its newline waits until the newline comes. Positions are given per line, so the
 * caller advances them only once the line is delivered.
 */
import { createHash } from 'node:crypto';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { utf8Boundary } from '@dockside/engine/logs';

export interface FilePosition {
  fingerprint: string;
  offset: number;
}

export interface FileLine {
  message: Buffer;
  truncated: boolean;
  position: FilePosition;
}

const FP_BYTES = 256;
const NL = 0x0a;
const READ = 256 * 1024;

export async function fingerprintOf(fh: FileHandle): Promise<string | undefined> {
  const buf = Buffer.alloc(FP_BYTES);
  const { bytesRead } = await fh.read(buf, 0, FP_BYTES, 0);
  const head = buf.subarray(0, bytesRead);
  const nl = head.indexOf(NL);
  if (nl < 0 && bytesRead < FP_BYTES) return undefined; // not enough content yet to recognise it
  return createHash('sha256')
    .update(nl < 0 ? head : head.subarray(0, nl + 1))
    .digest('hex')
    .slice(0, 32);
}

export class FileFollower {
  private fh: FileHandle | undefined;
  private ino = 0;
  private fingerprint: string | undefined;
  private offset = 0;
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private truncatedLine = false;
  /** Set when a rotation was seen (for counters and tests). */
  rotations = 0;

  constructor(
    readonly path: string,
    private readonly start: FilePosition | undefined,
    private readonly maxLine: number,
    /** Where to start a file seen for the first time: its beginning, or its end (tail -f). */
    private readonly fromEnd = false,
  ) {}

  /** Read what is new; resolves with complete lines (possibly none). */
  async poll(): Promise<FileLine[]> {
    const out: FileLine[] = [];
    const st = await stat(this.path).catch(() => undefined);
    if (!this.fh) {
      if (!st) return out;
      await this.openCurrent(st.ino, st.size);
      if (!this.fh) return out;
    }
    if (st && st.ino !== this.ino) {
      // Renamed away and re-created: read the old file to its end, then the new one from its start.
      await this.drain(out);
      await this.fh.close();
      this.fh = undefined;
      this.rotations++;
      this.resetLine();
      await this.openCurrent(st.ino, st.size, true);
      if (this.fh) await this.drain(out);
      return out;
    }
    if (st) {
      // Same file: truncated in place (copytruncate) if it is shorter than what was read, or if its
      // first line changed; then it is read again from its start.
      const fp = await fingerprintOf(this.fh);
      if (st.size < this.offset + this.partialBytesRead || (this.fingerprint && fp && fp !== this.fingerprint)) {
        this.rotations++;
        this.offset = 0;
        this.resetLine();
        this.fingerprint = fp;
      } else if (!this.fingerprint) this.fingerprint = fp;
    }
    await this.drain(out); // a removed file is read to its end too
    return out;
  }

  async close(): Promise<void> {
    await this.fh?.close();
    this.fh = undefined;
  }

  private async openCurrent(ino: number, size: number, rotated = false): Promise<void> {
    try {
      this.fh = await open(this.path, 'r');
    } catch {
      return;
    }
    this.ino = ino;
    this.fingerprint = await fingerprintOf(this.fh);
    this.offset = 0;
    if (!rotated && this.start && this.fingerprint === this.start.fingerprint && this.start.offset <= size) this.offset = this.start.offset;
    else if (!rotated && !this.start && this.fromEnd) this.offset = size;
  }

  private resetLine(): void {
    this.partial = [];
    this.partialBytes = 0;
    this.partialBytesRead = 0;
    this.truncatedLine = false;
  }

  private async drain(out: FileLine[]): Promise<void> {
    if (!this.fh) return;
    const buf = Buffer.alloc(READ);
    let readAt = this.offset + this.partialBytesRead;
    for (;;) {
      const { bytesRead } = await this.fh.read(buf, 0, READ, readAt);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(NL, start);
        const piece = chunk.subarray(start, nl < 0 ? chunk.length : nl);
        this.take(piece);
        if (nl < 0) break;
        const consumed = readAt + nl + 1;
        let message = this.partial.length === 1 ? (this.partial[0] as Buffer) : Buffer.concat(this.partial, this.partialBytes);
        if (this.truncatedLine) message = message.subarray(0, utf8Boundary(message));
        if (message.length && message[message.length - 1] === 0x0d) message = message.subarray(0, message.length - 1);
        out.push({ message: Buffer.from(message), truncated: this.truncatedLine, position: { fingerprint: this.fingerprint ?? '', offset: consumed } });
        this.offset = consumed;
        this.resetLine();
        start = nl + 1;
      }
      readAt += bytesRead;
      this.partialBytesRead = readAt - this.offset;
      if (bytesRead < READ) break;
    }
  }

  /** Bytes of the unfinished last line already read (kept in `partial`, up to maxLine). */
  private partialBytesRead = 0;

  private take(piece: Buffer): void {
    if (!piece.length) return;
    const room = this.maxLine - this.partialBytes;
    if (piece.length > room) {
      this.truncatedLine = true;
      piece = piece.subarray(0, Math.max(0, room));
    }
    if (piece.length) {
      this.partial.push(Buffer.from(piece));
      this.partialBytes += piece.length;
    }
  }
}
