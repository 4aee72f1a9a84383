/** The job list the scheduler last reconciled, for `cron ls` (written atomically on every change). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobEntry, JobSpec } from '../jobs/model.js';
import { writeFileAtomic } from './atomic.js';

export const JOBS_FILE = 'jobs.json';

export type JobSnapshot = (JobSpec & { valid: true }) | Exclude<JobEntry, { valid: true }>;

export function writeJobs(dir: string, entries: JobEntry[], at: number): void {
  const plain = entries.map((e) => {
    if (!e.valid) return e;
    const { compiled: _c, ...rest } = e;
    return rest;
  });
  writeFileAtomic(join(dir, JOBS_FILE), JSON.stringify({ at, jobs: plain }));
}

export function readJobs(dir: string): { at: number; jobs: JobSnapshot[] } {
  const p = join(dir, JOBS_FILE);
  if (!existsSync(p)) return { at: 0, jobs: [] };
  return JSON.parse(readFileSync(p, 'utf8')) as { at: number; jobs: JobSnapshot[] };
}
