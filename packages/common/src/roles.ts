/**
 * The one list of sidecar role names. A role names a sidecar's image (`dockside/<role>`), its
 * in-container program (packages/<role>/src/program), and the `dockside.role` label of every
 * container started for it. `run` is the role of `dockside run`'s throw-away sidecars, which use
 * any image and have no program of their own.
 */
export const ROLE = {
  backup: 'backup',
  logship: 'logship',
  netdebug: 'netdebug',
  metrics: 'metrics',
  cron: 'cron',
  config: 'config',
  discovery: 'discovery',
  run: 'run',
  fleet: 'fleet',
} as const;

/** The roles that have an image and an in-container program of their own. */
export const SIDECAR_ROLES = [ROLE.backup, ROLE.logship, ROLE.netdebug, ROLE.metrics, ROLE.cron, ROLE.config, ROLE.discovery, ROLE.fleet] as const;
export type SidecarRole = (typeof SIDECAR_ROLES)[number];
