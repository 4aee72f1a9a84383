/**
 * The Docker API calls the register, ambassador and watch sidecars make, and nothing else: inspect
 * of their one target (its address on its network, whether it runs) and its events (kill/stop to
 * drain, die, start to follow it into its new network namespace). With an on-change action, also
 * exactly that action on that target: an exec of its one program as the container's own user
 * (create, detached start, inspect for the exit code), or a kill (the signal). Their api-proxy
 * refuses every other call, another container's inspect included. Paths as in common/api-access.ts.
 */
import { CONTAINER_REF, UsageError, type ApiRule } from '@dockside/common';
import type { OnChangeAction } from './config.js';

export function discoveryApiRules(targetId: string, onChange?: OnChangeAction): ApiRule[] {
  if (!/^[0-9a-f]{64}$/.test(targetId)) throw new UsageError(`not a full container id: ${targetId}`);
  const rules: ApiRule[] = [
    { method: 'GET', path: `/containers/${targetId}/json` },
    { method: 'GET', path: '/events' },
  ];
  const program = onChange?.exec?.[0];
  if (program) {
    rules.push(
      { method: 'POST', path: `/containers/${targetId}/exec`, body: 'exec-create', exec: { users: [], commands: [program] } },
      { method: 'POST', path: `/exec/${CONTAINER_REF}/start`, body: 'exec-start' },
      { method: 'GET', path: `/exec/${CONTAINER_REF}/json` },
    );
  }
  if (onChange?.signal) rules.push({ method: 'POST', path: `/containers/${targetId}/kill` });
  return rules;
}
