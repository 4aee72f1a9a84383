/**
 * Time zones through Intl (the IANA database Node ships): a zone's UTC offset at an instant, the
 * wall-clock time of an instant, and the instants a wall-clock time maps to (none in a
 * spring-forward gap, two in a fall-back overlap). "Wall" times are plain numbers: the Date.UTC()
 * of the local fields, so calendar arithmetic on them never meets a DST change.
 */
export class TimeZone {
  private readonly fmt: Intl.DateTimeFormat;

  private constructor(readonly name: string) {
    this.fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** Throws RangeError for a name the IANA database does not know. */
  static of(name: string): TimeZone {
    return new TimeZone(name);
  }

  /** Offset from UTC (ms, east positive) at the instant `t`. */
  offset(t: number): number {
    const base = Math.floor(t / 1000) * 1000;
    const f: Record<string, number> = {};
    for (const p of this.fmt.formatToParts(new Date(base))) if (p.type !== 'literal') f[p.type] = Number(p.value);
    const wall = Date.UTC(f['year'] ?? 1970, (f['month'] ?? 1) - 1, f['day'] ?? 1, f['hour'] ?? 0, f['minute'] ?? 0, f['second'] ?? 0);
    return wall - base;
  }

  /** The wall-clock time (as Date.UTC of the local fields) of the instant `t`, whole seconds. */
  wall(t: number): number {
    const s = Math.floor(t / 1000) * 1000;
    return s + this.offset(s);
  }

  /**
   * The instants whose wall-clock time is `w`: one normally, two (earlier first) in a fall-back
   * overlap, none in a spring-forward gap (then `gapEnd` is the instant the clocks jumped).
   */
  instants(w: number): { instants: number[]; gapEnd?: number } {
    const day = 86_400_000;
    const before = this.offset(w - day);
    const after = this.offset(w + day);
    const found = new Set<number>();
    for (const o of [before, after]) {
      const t = w - o;
      if (t + this.offset(t) === w) found.add(t);
    }
    if (found.size > 0) return { instants: [...found].sort((a, b) => a - b) };
    // A gap: the clocks jumped from `before` to `after` somewhere in [w - after, w - before].
    let lo = w - Math.max(before, after);
    let hi = w - Math.min(before, after);
    while (hi - lo > 1000) {
      const mid = Math.floor((lo + hi) / 2000) * 1000;
      if (this.offset(mid) === after) hi = mid;
      else lo = mid;
    }
    return { instants: [], gapEnd: hi };
  }
}

/** The IANA name checked, or a message saying why it is not one. */
export function checkTimeZone(name: string): string | undefined {
  try {
    TimeZone.of(name);
    return undefined;
  } catch {
    return `unknown time zone "${name}" (use an IANA name such as Europe/Berlin or UTC)`;
  }
}
