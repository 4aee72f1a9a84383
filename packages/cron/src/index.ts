/** Host-side API of the cron sidecar, used by the CLI. */
export { CRON_API_RULES, cronCreatePolicy } from './api-access.js';
export {
  startCron,
  stopCron,
  lsCron,
  historyCron,
  runCronJob,
  validateCron,
  readConfig,
  findScheduler,
  checkSchedulerName,
  stateVolumeName,
  SERVICE_LABEL,
  NAME_LABEL,
  STATE_VOLUME,
  DEFAULT_SCHEDULER,
  type SchedulerContainer,
  type CronConfig,
  type StartOptions,
} from './service.js';
export type { JobRow, HistoryRow } from './program/report.js';
export type { JobEntry, Job, InvalidJob } from './jobs/model.js';
export { createSchedule, nextSlots, planDue, ScheduleError } from './schedule/index.js';
export type * from './events.js';
