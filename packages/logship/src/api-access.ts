/**
 * The Docker API calls the in-container shipper makes, and nothing else: the engine starts the
 * shipper behind its own api-proxy (ServiceSpec.apiAccess), which allows these and refuses every
 * other call with 403. Paths are matched without the /vX.YY prefix and the query (common/api-access.ts).
 */
import { CONTAINER_REF, type ApiRule } from '@dockside/common';

export const LOGSHIP_API_RULES: ApiRule[] = [
  { method: 'GET', path: '/_ping' },
  { method: 'GET', path: '/version' },
  { method: 'GET', path: '/containers/json' },
  { method: 'GET', path: `/containers/${CONTAINER_REF}/json` },
  { method: 'GET', path: `/containers/${CONTAINER_REF}/logs` },
  { method: 'GET', path: '/events' },
];
