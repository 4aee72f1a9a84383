/** A scheduled job, as declared (labels or a YAML file) and checked. */
import type { Schedule } from '../schedule/index.js';

export type Overlap = 'forbid' | 'allow' | 'replace';

export type Action =
  /** A shell command run in the job's container. */
  | { kind: 'exec'; command: string }
  /** A dockside command applied to the job's container, e.g. `backup --to /srv/backups --keep-daily 7`. */
  | { kind: 'dockside'; command: string; argv: string[] }
  /** A one-off container from `image` (removed after); `command` is a shell command when given. */
  | { kind: 'run'; image: string; command?: string };

/** Where a job was declared: `label` on its container, or `config` with the file. */
export interface Origin {
  kind: 'label' | 'config';
  file?: string;
}

/** The job's container; `state` as the engine last listed it (`missing`: no such container). */
export interface JobContainer {
  id: string;
  name: string;
  state?: string;
}

export interface JobSpec {
  /** `<container name>/<job>` */
  id: string;
  name: string;
  container: JobContainer;
  origin: Origin;
  schedule: string;
  timezone: string;
  action: Action;
  timeoutMs?: number;
  overlap: Overlap;
  deadlineMs?: number;
  retries: number;
  ping?: string;
}

export interface Job extends JobSpec {
  valid: true;
  compiled: Schedule;
}

export interface InvalidJob {
  valid: false;
  id: string;
  name: string;
  container: JobContainer;
  origin: Origin;
  /** The option at fault, e.g. `schedule`, `second`, `timezone`, `exec`, `timeout`. */
  field: string;
  reason: string;
}

export type JobEntry = Job | InvalidJob;

/** The options a job takes (label suffixes and YAML keys alike). */
export const JOB_KEYS = ['schedule', 'exec', 'dockside', 'run', 'image', 'timeout', 'overlap', 'timezone', 'deadline', 'retries', 'ping'] as const;
export type JobKey = (typeof JOB_KEYS)[number];

export const LABEL_PREFIX = 'dockside.cron.';
/**
 * The label option naming the scheduler (`cron start --name`) a label job belongs to; without it,
 * the job is the `default` scheduler's. A --config file's jobs belong to the scheduler started with it.
 */
export const SCHEDULER_OPTION = 'scheduler';
export const DEFAULT_SCHEDULER = 'default';
export const JOB_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
