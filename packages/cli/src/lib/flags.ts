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
      throw new UsageError(`--${flag.name} must be ${range} (got ${input})`);
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

/** Milliseconds as a user writes them: 1000 -> "1s", 90000 -> "1m30s", 1500 -> "1s500ms". */
export function durationText(ms: number): string {
  const parts: string[] = [];
  let rest = Math.round(ms);
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('') || '0s';
}

/**
 * A repeatable flag's values. From the command line oclif gives an array; from its DOCKSIDE_* variable
 * it gives the variable's text unsplit, which holds several values separated by `separator`.
 */
export function repeated(value: readonly string[] | string | undefined, separator: string): string[] {
  if (value === undefined) return [];
  if (typeof value === 'string') return value.split(separator).map((v) => v.trim()).filter(Boolean);
  return [...value];
}
