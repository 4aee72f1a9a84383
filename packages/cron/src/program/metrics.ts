/**
 * The scheduler's Prometheus exposition (text format 0.0.4), in the exporter's conventions
 * (dockside_ prefix, seconds, _total counters, HELP and TYPE per family). Per job: last success
 * time, last exit code, runs by status, last duration; and how many jobs are valid or invalid.
 */
import type { JobEntry } from '../jobs/model.js';
import type { HistoryEntry } from '../state/records.js';

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

export function renderCronMetrics(entries: JobEntry[], history: HistoryEntry[], running: Map<string, number>): string {
  const runs = new Map<string, Map<string, number>>();
  const lastSuccess = new Map<string, number>();
  const lastExit = new Map<string, number>();
  const lastDuration = new Map<string, number>();
  for (const h of history) {
    if (h.status === 'running') continue;
    const by = runs.get(h.job) ?? new Map<string, number>();
    by.set(h.status, (by.get(h.status) ?? 0) + (h.status === 'missed' ? (h.count ?? 1) : 1));
    runs.set(h.job, by);
    if (h.status === 'succeeded' && h.end) lastSuccess.set(h.job, h.end);
    if (h.run && h.exitCode !== undefined && h.exitCode !== null) lastExit.set(h.job, h.exitCode);
    if (h.run && h.start && h.end) lastDuration.set(h.job, h.end - h.start);
  }
  const jobs = entries.map((e) => e.id);
  const out: string[] = [];
  const family = (name: string, type: 'gauge' | 'counter', help: string, lines: string[]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines);
  };
  family('dockside_cron_jobs', 'gauge', 'Jobs the scheduler knows, by validity.', [
    `dockside_cron_jobs{state="valid"} ${entries.filter((e) => e.valid).length}`,
    `dockside_cron_jobs{state="invalid"} ${entries.filter((e) => !e.valid).length}`,
  ]);
  family(
    'dockside_cron_job_last_success_timestamp_seconds',
    'gauge',
    'End of the last successful run (Unix time).',
    jobs.filter((j) => lastSuccess.has(j)).map((j) => `dockside_cron_job_last_success_timestamp_seconds{job="${esc(j)}"} ${(lastSuccess.get(j) as number) / 1000}`),
  );
  family(
    'dockside_cron_job_last_exit_code',
    'gauge',
    'Exit code of the last run that has one.',
    jobs.filter((j) => lastExit.has(j)).map((j) => `dockside_cron_job_last_exit_code{job="${esc(j)}"} ${lastExit.get(j)}`),
  );
  family(
    'dockside_cron_job_last_duration_seconds',
    'gauge',
    'Duration of the last finished run.',
    jobs.filter((j) => lastDuration.has(j)).map((j) => `dockside_cron_job_last_duration_seconds{job="${esc(j)}"} ${(lastDuration.get(j) as number) / 1000}`),
  );
  family(
    'dockside_cron_job_runs_total',
    'counter',
    'Runs by final status (missed counts slots) since the history began.',
    jobs.flatMap((j) => [...(runs.get(j) ?? new Map<string, number>())].map(([s, n]) => `dockside_cron_job_runs_total{job="${esc(j)}",status="${s}"} ${n}`)),
  );
  family(
    'dockside_cron_job_running',
    'gauge',
    'Runs in progress.',
    jobs.map((j) => `dockside_cron_job_running{job="${esc(j)}"} ${running.get(j) ?? 0}`),
  );
  return `${out.join('\n')}\n`;
}
