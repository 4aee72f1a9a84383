/**
 * The Docker API calls the exporter makes, and nothing else (engine/lite: liteListRunning,
 * liteInspect; engine/events: watchContainerEvents): the engine starts the exporter behind its own
 * api-proxy (ServiceSpec.apiAccess), which allows these and refuses every other call with 403.
 * Paths are matched without the /vX.YY prefix and the query (common/api-access.ts).
 */
import { CONTAINER_REF, type ApiRule } from '@dockside/common';

export const EXPORTER_API_RULES: readonly ApiRule[] = [
  { method: 'GET', path: '/containers/json' },
  { method: 'GET', path: `/containers/${CONTAINER_REF}/json` },
  { method: 'GET', path: '/events' },
];
