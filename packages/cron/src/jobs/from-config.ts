/**
 * Jobs from a YAML file (`dockside cron start --config jobs.yaml`), keyed `<container>/<job>`,
 * with the same options as the labels:
 *
 *   jobs:
 *     app/nightly:
 *       schedule: "30 2 * * *"
 *       timezone: Europe/Berlin
 *       dockside: backup --to /srv/backups --keep-daily 7
 *
 * The file is parsed on the host (so errors name the file and line); the scheduler receives the
 * parsed options. The containers are resolved by name at each reconcile inside the scheduler.
 */
import { parseDocument } from 'yaml';
import { JOB_NAME } from './model.js';

export interface ConfigJob {
  container: string;
  name: string;
  options: Record<string, string>;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** One YAML error as `line L, column C: message` (yaml's pretty form ends in the position and a snippet). */
function yamlProblem(e: { message: string; linePos?: [{ line: number; col: number }, ...unknown[]] }): string {
  const text =
    e.message
      .split('\n')[0]
      ?.replace(/ at line \d+, column \d+:?\s*$/, '')
      .replace(/[:\s]+$/, '') ?? 'invalid YAML';
  const at = e.linePos?.[0];
  return at ? `line ${at.line}, column ${at.col}: ${text}` : text;
}

/** Every problem of the file, in one line: `<file>: <problem>` or `<file>: N problems: a; b; c`. */
function problems(file: string, list: string[]): ConfigError {
  return new ConfigError(list.length === 1 ? `${file}: ${list[0]}` : `${file}: ${list.length} problems: ${list.join('; ')}`);
}

export function parseJobsYaml(text: string, file: string): ConfigJob[] {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length)
    throw problems(
      file,
      doc.errors.map((e) => yamlProblem(e as Parameters<typeof yamlProblem>[0])),
    );
  const root = doc.toJS() as unknown;
  if (root === null || root === undefined) return [];
  if (typeof root !== 'object' || Array.isArray(root)) throw new ConfigError(`${file}: expected a mapping with a "jobs" key`);
  const bad: string[] = [];
  for (const k of Object.keys(root).filter((k) => k !== 'jobs')) bad.push(`unknown key "${k}" (the file holds one key, "jobs")`);
  const jobs = (root as { jobs?: unknown }).jobs;
  if (jobs === undefined || jobs === null) {
    if (bad.length) throw problems(file, bad);
    return [];
  }
  if (typeof jobs !== 'object' || Array.isArray(jobs)) throw problems(file, [...bad, '"jobs" must map <container>/<job> to its options']);
  const out: ConfigJob[] = [];
  for (const [key, value] of Object.entries(jobs as Record<string, unknown>)) {
    const m = /^([A-Za-z0-9][A-Za-z0-9_.-]*)\/([^/]+)$/.exec(key);
    if (!m || !JOB_NAME.test(m[2] as string)) {
      bad.push(`job key "${key}" is not <container>/<job>`);
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      bad.push(`job "${key}" must be a mapping of options`);
      continue;
    }
    const options: Record<string, string> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (typeof v === 'object' && v !== null) bad.push(`${key}.${k} must be a single value`);
      else options[k] = String(v);
    }
    out.push({ container: m[1] as string, name: m[2] as string, options });
  }
  if (bad.length) throw problems(file, bad);
  return out;
}
