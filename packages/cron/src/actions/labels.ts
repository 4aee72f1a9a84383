/** Labels on what the scheduler starts (one-off run containers; backup sidecars carry the run id as their session). */
export const RUN_ROLE = 'cron-run';
export const JOB_LABEL = 'dockside.cronjob.id';
export const RUN_LABEL = 'dockside.cronjob.run';
/** On one-off run containers: the name of the scheduler that started them (its restart cleans up its own only). */
export const SCHEDULER_LABEL = 'dockside.cronjob.scheduler';
