/**
 * What the fleet's programs may ask of their node's engine, enforced by the api-proxy in front of
 * the node's socket (the agent never mounts the socket itself):
 *   - the agent: list and inspect containers (the node's Swarm tasks, its own sidecars), follow
 *     their start and die events, read a
 *     shipper's log tail (its readiness), create/start/stop/remove the shippers and copy their
 *     config in, inspect and remove their position volumes, inspect the shipper image;
 *   - what it creates: no capabilities, binds only under the file sinks' directories, no
 *     VolumesFrom, and only two kinds of named volume: the node's log-shipper proxy socket and the
 *     shippers' own position volumes (checkCreate refuses every privileged or host-namespace ask);
 *   - the sweep job: list and remove the fleet's containers and volumes, nothing else.
 */
import { CONTAINER_REF, type ApiRule, type CreatePolicy } from '@dockside/common';
import { FLEET_VOLUME, SHIPPER_VOLUME_PATTERN } from './names.js';

const NAME = '[a-zA-Z0-9][a-zA-Z0-9_.-]*';

export const FLEET_AGENT_API_RULES: ApiRule[] = [
  { method: 'GET', path: '/_ping' },
  // Task containers' start and die: the agent reconciles at once instead of at its next poll.
  { method: 'GET', path: '/events' },
  { method: 'HEAD', path: '/_ping' },
  { method: 'GET', path: '/version' },
  { method: 'GET', path: '/containers/json' },
  { method: 'GET', path: `/containers/${CONTAINER_REF}/json` },
  { method: 'GET', path: `/containers/${CONTAINER_REF}/logs` },
  { method: 'POST', path: '/containers/create', body: 'container-create' },
  { method: 'POST', path: `/containers/${CONTAINER_REF}/start` },
  { method: 'POST', path: `/containers/${CONTAINER_REF}/stop` },
  { method: 'DELETE', path: `/containers/${CONTAINER_REF}` },
  { method: 'PUT', path: `/containers/${CONTAINER_REF}/archive` },
  { method: 'GET', path: `/volumes/${NAME}` },
  { method: 'DELETE', path: `/volumes/${NAME}` },
  { method: 'GET', path: `/images/${NAME}(/${NAME})*(:${NAME})?/json` },
];

export function fleetAgentCreatePolicy(sinkDirs: readonly string[]): CreatePolicy {
  return { allowedCaps: [], bindSources: [...sinkDirs], allowVolumesFrom: false, allowVolumes: false, volumeNames: [FLEET_VOLUME.logsApi, SHIPPER_VOLUME_PATTERN] };
}

export const FLEET_SWEEP_API_RULES: ApiRule[] = [
  { method: 'GET', path: '/_ping' },
  { method: 'GET', path: '/version' },
  { method: 'GET', path: '/containers/json' },
  { method: 'GET', path: `/containers/${CONTAINER_REF}/json` },
  { method: 'POST', path: `/containers/${CONTAINER_REF}/stop` },
  { method: 'DELETE', path: `/containers/${CONTAINER_REF}` },
  { method: 'GET', path: '/volumes' },
  { method: 'GET', path: `/volumes/${NAME}` },
  { method: 'DELETE', path: `/volumes/${NAME}` },
];
