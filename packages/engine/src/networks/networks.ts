/** Networks: whether one a sidecar is to join exists (so a typo is bad input before anything starts). */
import { UsageError } from '@dockside/common';
import { dockerOf } from '../connection/client.js';
import type { Engine } from '../connection/engine.js';
import { mapEngineError, statusOf } from '../connection/errors.js';

/** Network modes the engine knows without a network of that name. */
const BUILT_IN = new Set(['host', 'none', 'bridge', 'default']);

/**
 * Refuse (exit 2, with the networks there are) a network mode naming a network the engine does not
 * have; `container:<x>` and the built-in modes pass. `flag` is what the user typed it as.
 */
export async function checkNetworkMode(engine: Engine, mode: string, flag = '--network'): Promise<void> {
  if (BUILT_IN.has(mode) || mode.startsWith('container:')) return;
  const docker = await dockerOf(engine);
  try {
    await docker.getNetwork(mode).inspect();
    return;
  } catch (err) {
    if (statusOf(err) !== 404) throw mapEngineError(err, { endpoint: engine.endpoint, doing: `looking up network "${mode}"` });
  }
  const names = ((await docker.listNetworks().catch(() => [])) as Array<{ Name: string }>).map((n) => n.Name).sort();
  throw new UsageError(`${flag} ${mode}: no such network`, {
    hint: `give host, none, bridge or one of this engine's networks (${names.filter((n) => !BUILT_IN.has(n)).join(', ') || 'none created'}); see \`docker network ls\``,
  });
}
