/**
 * Jobs declared by labels on the container they concern:
 *   dockside.cron.<job>.schedule, dockside.cron.<job>.exec | .dockside | .run (+ .image), and
 *   .timeout, .overlap, .timezone, .deadline, .retries, .ping; .scheduler names the scheduler that
 *   runs it (`cron start --name`, default "default"): every other scheduler leaves the job alone.
 */
import { DEFAULT_SCHEDULER, JOB_NAME, LABEL_PREFIX, SCHEDULER_OPTION, type JobEntry } from './model.js';
import { compileJob } from './validate.js';

export interface LabelledContainer {
  id: string;
  name: string;
  labels: Record<string, string>;
}

/** The label jobs of `c` that belong to the scheduler named `scheduler` (default "default"). */
export function jobsFromLabels(c: LabelledContainer, scheduler: string = DEFAULT_SCHEDULER): JobEntry[] {
  const byJob = new Map<string, Record<string, string>>();
  const bad: JobEntry[] = [];
  for (const [key, value] of Object.entries(c.labels)) {
    if (!key.startsWith(LABEL_PREFIX)) continue;
    const rest = key.slice(LABEL_PREFIX.length);
    const dot = rest.lastIndexOf('.');
    const name = dot > 0 ? rest.slice(0, dot) : rest;
    const option = dot > 0 ? rest.slice(dot + 1) : '';
    if (!JOB_NAME.test(name) || !option) {
      if (scheduler !== DEFAULT_SCHEDULER) continue; // whose it is cannot be told: the default scheduler reports it
      bad.push({
        valid: false,
        id: `${c.name}/${name}`,
        name,
        container: { id: c.id, name: c.name },
        origin: { kind: 'label' },
        field: key,
        reason: `label "${key}" is not dockside.cron.<job>.<option> (job names: letters, digits, - and _)`,
      });
      continue;
    }
    const o = byJob.get(name) ?? {};
    o[option] = value;
    byJob.set(name, o);
  }
  const jobs: JobEntry[] = [];
  for (const [name, all] of byJob) {
    const { [SCHEDULER_OPTION]: owner, ...options } = all;
    if ((owner?.trim() || DEFAULT_SCHEDULER) !== scheduler) continue;
    jobs.push(compileJob({ name, container: { id: c.id, name: c.name }, origin: { kind: 'label' }, options }));
  }
  return [...jobs, ...bad].sort((a, b) => a.id.localeCompare(b.id));
}
