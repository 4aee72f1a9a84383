/** Host-side API of the metrics sidecar, used by the CLI. */
export const ROLE = 'metrics';
