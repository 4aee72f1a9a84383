/**
 * One job's raw options (from labels or YAML) checked and compiled. Every refusal names the option
 * at fault (for a bad expression: the cron field), so `cron ls` can say why a job does not run.
 */
import { parseDuration, splitShellWords } from '@dockside/common';
import { createSchedule, ScheduleError } from '../schedule/index.js';
import { JOB_KEYS, type Action, type JobEntry, type Origin, type Overlap } from './model.js';
import { parseBackupArgs } from '../actions/backup-args.js';

export interface RawJob {
  name: string;
  container: { id: string; name: string };
  origin: Origin;
  options: Record<string, string>;
}

class FieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const DOCKSIDE_COMMANDS = ['backup'];

function duration(options: Record<string, string>, key: string, min: number): number | undefined {
  const raw = options[key];
  if (raw === undefined || raw === '') return undefined;
  let ms: number;
  try {
    ms = parseDuration(raw);
  } catch {
    throw new FieldError(key, `"${raw}" is not a duration (e.g. 30s, 5m, 1h30m)`);
  }
  if (ms < min) throw new FieldError(key, `${raw} is shorter than ${min} ms`);
  return ms;
}

function action(o: Record<string, string>): Action {
  const given = (['exec', 'dockside', 'run'] as const).filter((k) => o[k] !== undefined);
  if (given.length === 0) {
    if (o['image'] !== undefined) return { kind: 'run', image: o['image'] };
    throw new FieldError('action', 'no action: give one of exec, dockside, run (with image)');
  }
  if (given.length > 1) throw new FieldError(given[1] as string, `one action per job, found ${given.join(' and ')}`);
  const kind = given[0] as 'exec' | 'dockside' | 'run';
  const value = (o[kind] as string).trim();
  if (kind === 'exec') {
    if (!value) throw new FieldError('exec', 'empty command');
    if (o['image'] !== undefined) throw new FieldError('image', 'image goes with run, not exec');
    return { kind: 'exec', command: value };
  }
  if (kind === 'dockside') {
    let argv: string[];
    try {
      argv = splitShellWords(value);
    } catch (err) {
      throw new FieldError('dockside', (err as Error).message);
    }
    if (!argv[0] || !DOCKSIDE_COMMANDS.includes(argv[0])) {
      throw new FieldError('dockside', `"${argv[0] ?? ''}" is not a dockside command a job can run (known: ${DOCKSIDE_COMMANDS.join(', ')})`);
    }
    try {
      parseBackupArgs(argv);
    } catch (err) {
      throw new FieldError('dockside', (err as Error).message);
    }
    return { kind: 'dockside', command: value, argv };
  }
  const image = o['image']?.trim();
  if (!image) throw new FieldError('image', 'a run job needs an image');
  return { kind: 'run', image, ...(value ? { command: value } : {}) };
}

export function compileJob(raw: RawJob): JobEntry {
  const id = `${raw.container.name}/${raw.name}`;
  const base = { id, name: raw.name, container: raw.container, origin: raw.origin };
  try {
    const o = raw.options;
    for (const k of Object.keys(o)) {
      if (!(JOB_KEYS as readonly string[]).includes(k)) throw new FieldError(k, `unknown option "${k}" (known: ${JOB_KEYS.join(', ')})`);
    }
    if (!o['schedule']) throw new FieldError('schedule', 'no schedule');
    const timezone = o['timezone']?.trim() || 'UTC';
    let compiled;
    try {
      compiled = createSchedule(o['schedule'], timezone);
    } catch (err) {
      if (err instanceof ScheduleError)
        throw new FieldError(err.field === 'timezone' ? 'timezone' : err.field === 'schedule' ? 'schedule' : `schedule (${err.field})`, err.message);
      throw err;
    }
    const overlap = (o['overlap']?.trim() || 'forbid') as Overlap;
    if (!['forbid', 'allow', 'replace'].includes(overlap)) throw new FieldError('overlap', `"${overlap}" is not forbid, allow or replace`);
    const retriesRaw = o['retries']?.trim();
    const retries = retriesRaw ? Number(retriesRaw) : 0;
    if (!Number.isInteger(retries) || retries < 0 || retries > 10) throw new FieldError('retries', `"${retriesRaw}" is not a whole number from 0 to 10`);
    const ping = o['ping']?.trim();
    if (ping && !/^https?:\/\/[^\s]+$/.test(ping)) throw new FieldError('ping', `"${ping}" is not an http(s) URL`);
    const timeoutMs = duration(o, 'timeout', 100);
    const deadlineMs = duration(o, 'deadline', 1000);
    return {
      ...base,
      valid: true,
      schedule: o['schedule'],
      timezone,
      action: action(o),
      overlap,
      retries,
      compiled,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      ...(deadlineMs !== undefined ? { deadlineMs } : {}),
      ...(ping ? { ping } : {}),
    };
  } catch (err) {
    if (err instanceof FieldError) return { ...base, valid: false, field: err.field, reason: err.message };
    throw err;
  }
}
