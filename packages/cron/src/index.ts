/** Host-side API of the cron sidecar, used by the CLI. */
export {};
