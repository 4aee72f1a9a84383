/**
 * Cron expressions: 5 fields (minute first), 6 fields (seconds first) or a nickname (@hourly,
 * @daily, @midnight, @weekly, @monthly, @yearly, @annually). node-cron 4 parses and validates
 * them (and names the field at fault); dockside adds one rule: a `*` in the seconds field is
 * refused, because `* *\/10 * * * *` fires every second for a whole minute (the ofelia trap).
 */
import nodeCron from 'node-cron';

export interface CronFields {
  second: number[];
  minute: number[];
  hour: number[];
  /** Numbers, or 'L' (last day of the month). */
  dayOfMonth: Array<number | string>;
  month: number[];
  /** 0-6 (Sunday 0), or 'n#k' (k-th weekday n of the month), 'nL' (its last). */
  dayOfWeek: Array<number | string>;
}

export interface CronExpression {
  source: string;
  fields: CronFields;
  /** Every hour matches: such a job runs in both passes of a repeated (fall-back) hour. */
  everyHour: boolean;
}

/** A schedule that cannot be used, with the field at fault (e.g. `minute`, `seconds`, `timezone`). */
export class ScheduleError extends Error {
  override readonly name = 'ScheduleError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const NICKNAMES: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const FIELD_NAMES = ['second', 'minute', 'hour', 'day of month', 'month', 'day of week'];

export function parseCron(source: string): CronExpression {
  const text = source.trim().replace(/\s+/g, ' ');
  if (!text) throw new ScheduleError('schedule', 'empty schedule');
  let expr = text;
  if (text.startsWith('@')) {
    const known = NICKNAMES[text.toLowerCase()];
    if (!known) throw new ScheduleError('schedule', `unknown nickname "${text}" (known: ${Object.keys(NICKNAMES).join(', ')})`);
    expr = known;
  }
  const parts = expr.split(' ');
  if (parts.length !== 5 && parts.length !== 6) {
    throw new ScheduleError('schedule', `"${text}" has ${parts.length} fields; give 5 (minute hour day month weekday) or 6 (seconds first)`);
  }
  if (parts.length === 6 && (parts[0] === '*' || parts[0] === '*/1')) {
    throw new ScheduleError('second', `"${text}": a * in the seconds field fires every second; give the second(s) to fire at, e.g. "0 ${parts.slice(1).join(' ')}"`);
  }
  const detail = nodeCron.validateDetailed(expr);
  if (!detail.valid) {
    const e = detail.errors[0];
    throw new ScheduleError(fieldName(e?.field), `"${text}": ${e?.message ?? 'invalid expression'}`);
  }
  let fields: CronFields;
  try {
    fields = nodeCron.parse(expr) as CronFields;
  } catch (err) {
    const msg = (err as Error).message;
    const named = FIELD_NAMES.find((f) => msg.includes(f)) ?? (/day of month|impossible day/i.test(msg) ? 'day of month' : 'schedule');
    throw new ScheduleError(named, `"${text}": ${msg}`);
  }
  return { source: text, fields, everyHour: fields.hour.length === 24 };
}

function fieldName(raw: string | undefined): string {
  if (!raw) return 'schedule';
  const r = raw.toLowerCase();
  if (r.startsWith('sec')) return 'second';
  if (r.startsWith('min')) return 'minute';
  if (r.startsWith('hour')) return 'hour';
  if (r.includes('week')) return 'day of week';
  if (r.includes('month') && !r.includes('day')) return 'month';
  if (r.includes('day')) return 'day of month';
  return raw;
}
