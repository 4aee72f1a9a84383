/** Host-side API of the backup sidecar, used by the CLI. */
export const ROLE = 'backup';
