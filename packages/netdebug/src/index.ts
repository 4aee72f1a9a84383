/** Host-side API of the netdebug sidecar, used by the CLI. */
export const ROLE = 'netdebug';
