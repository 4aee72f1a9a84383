/**
 * The Docker API calls the register and ambassador sidecars make, and nothing else: inspect of
 * their one target (its address on its network, whether it runs) and its events (kill/stop to
 * drain, die, start to follow it into its new network namespace). Their api-proxy refuses every
 * other call, another container's inspect included. Paths as in common/api-access.ts.
 */
import { UsageError, type ApiRule } from '@dockside/common';

export function discoveryApiRules(targetId: string): ApiRule[] {
  if (!/^[0-9a-f]{64}$/.test(targetId)) throw new UsageError(`not a full container id: ${targetId}`);
  return [
    { method: 'GET', path: `/containers/${targetId}/json` },
    { method: 'GET', path: '/events' },
  ];
}
