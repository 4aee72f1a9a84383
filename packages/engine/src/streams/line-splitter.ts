/**
 * The one byte-safe line splitter: splits a byte stream into lines on the newline byte and decodes
 * a line only once it is whole, so a multi-byte character split across chunks stays intact. Used by
 * the sidecar protocol reader (event-reader.ts) and the engine event follower (events/follow.ts).
 *
 * Bounded: a line longer than `maxLineBytes` is cut there (the rest of it is dropped up to its
 * newline) and handed on with `truncated` set.
 */
const NL = 0x0a;

export class LineSplitter {
  private parts: Buffer[] = [];
  private partBytes = 0;
  private skipping = false;

  constructor(
    private readonly onLine: (line: string, truncated: boolean) => void,
    private readonly maxLineBytes = 1024 * 1024,
  ) {}

  /** Feed a chunk; `onLine` gets every line it completes (without its newline). */
  write(chunk: Buffer | string): void {
    const b = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let start = 0;
    for (;;) {
      const nl = b.indexOf(NL, start);
      if (nl === -1) {
        this.append(b.subarray(start));
        return;
      }
      this.append(b.subarray(start, nl));
      this.flush();
      start = nl + 1;
    }
  }

  /** The input ended: hand on a last line that had no newline. */
  end(): void {
    if (this.partBytes > 0 || this.skipping) this.flush();
  }

  private append(b: Buffer): void {
    if (b.length === 0 || this.skipping) return;
    const room = this.maxLineBytes - this.partBytes;
    if (b.length > room) {
      if (room > 0) this.parts.push(Buffer.from(b.subarray(0, room)));
      this.partBytes = this.maxLineBytes;
      this.skipping = true;
      return;
    }
    this.parts.push(Buffer.from(b)); // copy: the caller may reuse its buffer
    this.partBytes += b.length;
  }

  private flush(): void {
    const buf = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.partBytes);
    this.parts = [];
    this.partBytes = 0;
    const truncated = this.skipping;
    this.skipping = false;
    this.onLine(buf.toString('utf8'), truncated);
  }
}
