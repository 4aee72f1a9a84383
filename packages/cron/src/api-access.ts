/**
 * The Docker API endpoints the scheduler needs, and nothing more: the filtering proxy in front of
 * its socket enforces this list. Paths are matched without the /vX.YY prefix and the
 * query (common/api-access.ts); bodies and upgrades are allowed where a rule says so, and only there. What each serves:
 *   - jobs: list running containers, inspect them, follow container events;
 *   - exec jobs and the interrupted-run cleanup: exec create/start/inspect in the job's container;
 *   - run jobs: create/attach/start/wait/stop/remove one-off containers (and inspect their image);
 *   - the `dockside backup` action (the backup service): the same container calls for its sidecar,
 *     archive PUT (credentials file), pause/unpause/stop/start of the target for --pause/--stop,
 *     exec for --exec/--dump, and image inspect to check the backup image.
 */
import { CONTAINER_REF as ID, type ApiRule, type CreatePolicy } from '@dockside/common';

/**
 * The proxy's rules. The create carries the body policy (cronCreatePolicy); exec creates may not be
 * privileged nor name a user (exec jobs and --exec/--dump run as the container's own user); exec
 * start and attach may be upgraded (hijacked streams: exec jobs, run jobs' output, --exec/--dump);
 * every other POST carries no body.
 */
export const CRON_API_RULES: readonly ApiRule[] = [
  { method: 'GET', path: '/_ping' },
  { method: 'HEAD', path: '/_ping' },
  { method: 'GET', path: '/version' },
  { method: 'GET', path: '/events' },
  { method: 'GET', path: '/containers/json' },
  { method: 'GET', path: `/containers/${ID}/json` },
  { method: 'GET', path: `/containers/${ID}/logs` },
  { method: 'POST', path: `/containers/${ID}/exec`, body: 'exec-create', exec: { users: [] } },
  { method: 'POST', path: `/exec/${ID}/start`, body: 'exec-start', upgrade: true },
  { method: 'GET', path: `/exec/${ID}/json` },
  { method: 'POST', path: '/containers/create', body: 'container-create' },
  { method: 'POST', path: `/containers/${ID}/attach`, upgrade: true },
  { method: 'POST', path: `/containers/${ID}/start` },
  { method: 'POST', path: `/containers/${ID}/wait` },
  { method: 'POST', path: `/containers/${ID}/stop` },
  { method: 'POST', path: `/containers/${ID}/kill` },
  { method: 'POST', path: `/containers/${ID}/pause` },
  { method: 'POST', path: `/containers/${ID}/unpause` },
  { method: 'DELETE', path: `/containers/${ID}` },
  { method: 'PUT', path: `/containers/${ID}/archive` },
  { method: 'HEAD', path: `/containers/${ID}/archive` },
  { method: 'GET', path: `/images/${ID}(/${ID})*(:${ID})?/json` },
];

/**
 * Capabilities the scheduler may give what it creates: the backup sidecar reads every file of the
 * target's volumes (DAC_READ_SEARCH) and writes into a --backup-dir owned by someone else
 * (DAC_OVERRIDE). Run jobs get none (the engine's sidecar create drops ALL).
 */
// CHOWN: a backup's folder and files get the destination directory's owner (issue #18.2).
export const CRON_CREATE_CAPS: readonly string[] = ['DAC_READ_SEARCH', 'DAC_OVERRIDE', 'CHOWN'];

/**
 * What the scheduler may create: binds only under its --backup-dir directories (the backup
 * sidecar's destination), the target's volumes through VolumesFrom, the caps above; no volume
 * mounts, nothing privileged (checkCreate refuses the rest).
 */
export function cronCreatePolicy(backupDirs: readonly string[]): CreatePolicy {
  return { allowedCaps: [...CRON_CREATE_CAPS], bindSources: [...backupDirs], allowVolumesFrom: true, allowVolumes: false };
}
