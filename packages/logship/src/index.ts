/** Host-side API of the logship sidecar, used by the CLI. */
export {};
