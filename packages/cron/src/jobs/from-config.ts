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

export function parseJobsYaml(text: string, file: string): ConfigJob[] {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) throw new ConfigError(`${file}: ${doc.errors[0]?.message.split('\n')[0]}`);
  const root = doc.toJS() as unknown;
  if (root === null || root === undefined) return [];
  if (typeof root !== 'object' || Array.isArray(root)) throw new ConfigError(`${file}: expected a mapping with a "jobs" key`);
  const extra = Object.keys(root).filter((k) => k !== 'jobs');
  if (extra.length) throw new ConfigError(`${file}: unknown key "${extra[0]}" (the file holds one key, "jobs")`);
  const jobs = (root as { jobs?: unknown }).jobs;
  if (jobs === undefined || jobs === null) return [];
  if (typeof jobs !== 'object' || Array.isArray(jobs)) throw new ConfigError(`${file}: "jobs" must map <container>/<job> to its options`);
  const out: ConfigJob[] = [];
  for (const [key, value] of Object.entries(jobs as Record<string, unknown>)) {
    const m = /^([A-Za-z0-9][A-Za-z0-9_.-]*)\/([^/]+)$/.exec(key);
    if (!m || !JOB_NAME.test(m[2] as string)) throw new ConfigError(`${file}: job key "${key}" is not <container>/<job>`);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`${file}: job "${key}" must be a mapping of options`);
    const options: Record<string, string> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (typeof v === 'object' && v !== null) throw new ConfigError(`${file}: ${key}.${k} must be a single value`);
      options[k] = String(v);
    }
    out.push({ container: m[1] as string, name: m[2] as string, options });
  }
  return out;
}
