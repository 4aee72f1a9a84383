/**
 * Flag types shared by every command: normalised once, at parse time (as Shopify/cli's shared flags),
 * so a command's run() gets typed values and never parses or range-checks them by hand.
 */
import * as Flags from '@oclif/core/flags';
import type { AlphabetLowercase, AlphabetUppercase, OptionFlag } from '@oclif/core/interfaces';

export interface DurationFlagOptions {
  description: string;
  /** Every flag can also be set through a DOCKSIDE_* variable. */
  env: `DOCKSIDE_${string}`;
  /** Smallest accepted value, in milliseconds (default 1: longer than zero). */
  min?: number;
  /** Largest accepted value, in milliseconds (default: none). */
  max?: number;
  /** Default, written as a user would ("1s", "10s"); shown in --help as written. */
  default?: string;
  char?: AlphabetLowercase | AlphabetUppercase;
  helpGroup?: string;
  exclusive?: string[];
  /** What leaving the flag out does, added to the hint of an out-of-range value (e.g. "leave it out to capture until Ctrl-C"). */
  omitted?: string;
}

/**
 * A duration flag ("500ms", "30s", "5m", "1h30m", or bare seconds), parsed into milliseconds and
 * range-checked while the command line is parsed: `flags.sample` is a number of milliseconds.
 * Bad input is a UsageError: `"soon" is not a duration`, `--sample must be between 100ms and 1m (got 10ms)`.
 */
export function durationFlag(opts: DurationFlagOptions & { default: string }): OptionFlag<number>;
export function durationFlag(opts: DurationFlagOptions): OptionFlag<number | undefined>;
export function durationFlag(opts: DurationFlagOptions): OptionFlag<number> | OptionFlag<number | undefined> {
  const min = opts.min ?? 1;
  const max = opts.max;
  const parse = async (input: string, _ctx: unknown, flag: { name: string }): Promise<number> => {
    // Loaded when a duration is parsed, not when the command list loads (start-up stays lean).
    const { parseDuration, UsageError } = await import('@dockside/common');
    const ms = parseDuration(input);
    if (ms < min || (max !== undefined && ms > max)) {
      const range = max !== undefined ? `between ${durationText(min)} and ${durationText(max)}` : min <= 1 ? 'longer than zero' : `at least ${durationText(min)}`;
      throw new UsageError(`--${flag.name} must be ${range} (got ${input})`, { hint: durationHint(flag.name, min, max, opts) });
    }
    return ms;
  };
  const common = {
    description: opts.description,
    env: opts.env,
    parse,
    ...(opts.char ? { char: opts.char } : {}),
    ...(opts.helpGroup ? { helpGroup: opts.helpGroup } : {}),
    ...(opts.exclusive ? { exclusive: opts.exclusive } : {}),
  };
  const def = opts.default;
  if (def === undefined) return Flags.custom<number>(common)();
  return Flags.custom<number>({ ...common, default: async () => parse(def, undefined, { name: 'default' }), defaultHelp: async () => def })();
}

/** An example in range (the default, else 10s moved into the range), the units, and what omitting the flag does. */
function durationHint(name: string, min: number, max: number | undefined, opts: DurationFlagOptions): string {
  const example = opts.default ?? durationText(Math.min(max ?? Infinity, Math.max(min, 10_000)));
  return `e.g. --${name} ${example} (units ms, s, m, h)${opts.default ? `, the default` : ''}${opts.omitted ? `; ${opts.omitted}` : ''}`;
}

/** Milliseconds as a user writes them: 1000 -> "1s", 90000 -> "1m30s", 1500 -> "1s500ms". */
export function durationText(ms: number): string {
  const parts: string[] = [];
  let rest = Math.round(ms);
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('') || '0s';
}

export interface ListFlagOptions {
  description: string;
  /** Every flag can also be set through a DOCKSIDE_* variable; for a list it holds several values. */
  env: `DOCKSIDE_${string}`;
  /**
   * What separates values in the variable: `,` (default), or a newline for values that hold commas
   * themselves (`run --mount type=bind,source=...`, `--env K=a,b`, `--env-file`).
   */
  separator?: ',' | '\n';
  /** Also split each command-line value at commas (`--backup-dir /a,/b` as two `--backup-dir`). */
  commaSeparatedArguments?: boolean;
  /** The only values accepted (checked per value, from the command line and from the variable). */
  options?: readonly string[];
  char?: AlphabetLowercase | AlphabetUppercase;
  helpGroup?: string;
  exclusive?: string[];
}

/**
 * A repeatable flag: `flags.x` is a string[] (or undefined when not given) however it was set.
 * oclif parses each command-line occurrence on its own, but hands a `multiple` flag's variable over
 * as one unsplit string (and checks `options` against that whole string): this flag splits the
 * variable at `separator` while the command line is parsed, so `DOCKSIDE_BACKUP_VOLUME=a,b` is
 * `--volume a --volume b`. Blank values are dropped and each value is trimmed.
 */
export function listFlag(opts: ListFlagOptions): OptionFlag<string[] | undefined> {
  const separator = opts.separator ?? ',';
  const check = async (value: string, flag: { name: string }): Promise<string> => {
    if (opts.options && !opts.options.includes(value)) {
      const { UsageError } = await import('@dockside/common');
      throw new UsageError(`--${flag.name} must be one of ${opts.options.join(', ')} (got "${value}")`, {
        hint: `repeat --${flag.name} for several, or list them in ${opts.env} separated by ${separator === ',' ? 'commas' : 'newlines'}`,
      });
    }
    return value;
  };
  const parse = async (input: string, ctx: { token?: unknown } | undefined, flag: { name: string }): Promise<string> => {
    // A command-line occurrence comes with its token; the variable's text comes without one.
    if (ctx?.token !== undefined) return check(input, flag);
    const values = await Promise.all(splitList(input, separator).map((v) => check(v, flag)));
    // oclif keeps what parse() returns for the variable as the flag's whole value: the list itself.
    return values as unknown as string;
  };
  // As oclif shows a flag's options (not given to oclif: it would check them against the variable's whole text).
  const optionsHelp = opts.options ? `\n<options: ${opts.options.join('|')}>` : '';
  return Flags.custom<string>({
    description: `${opts.description}${optionsHelp}`,
    env: opts.env,
    multiple: true,
    parse,
    ...(opts.options ? { helpValue: '<option>' } : {}),
    ...(opts.commaSeparatedArguments ? { delimiter: ',' as const } : {}),
    ...(opts.char ? { char: opts.char } : {}),
    ...(opts.helpGroup ? { helpGroup: opts.helpGroup } : {}),
    ...(opts.exclusive ? { exclusive: opts.exclusive } : {}),
  })();
}

/** A list variable's values: split at `separator`, trimmed, blanks dropped ("a, b,,c" -> a b c). */
export function splitList(text: string, separator: ',' | '\n'): string[] {
  return text
    .split(separator === ',' ? ',' : /\r?\n/)
    .map((v) => v.trim())
    .filter(Boolean);
}
