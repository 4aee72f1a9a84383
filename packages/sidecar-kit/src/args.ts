/**
 * The argv helpers of every in-container program (cron, metrics, logship, api-proxy): `--name
 * value` options, read by hand so a sidecar bundle carries no option parser. A missing or
 * flag-looking value is a UsageError.
 */
import { UsageError } from '@dockside/common';

/** The value after `name`, or undefined when `name` is absent. */
export function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) throw new UsageError(`${name} needs a value`);
  return v;
}

/** Every value given after `name` (a repeatable option). */
export function flags(args: string[], name: string): string[] {
  const out: string[] = [];
  args.forEach((a, i) => a === name && args[i + 1] !== undefined && out.push(args[i + 1] as string));
  return out;
}

/** An integer option within [min, max], `def` when absent. */
export function intFlag(args: string[], name: string, def: number, min: number, max: number): number {
  const raw = flag(args, name);
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
  return n;
}
