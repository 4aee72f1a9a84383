/**
 * `sweep`: what `dockside fleet down` runs on every node (a global service) once the agent
 * and the proxies are gone: it removes the shippers the agent started (SIGTERM first), their
 * position volumes and the proxies' socket volumes, and nothing else (by label and name).
 *
 * The sweep mounts the node's socket read-only, but its own calls go through an api-proxy it runs
 * in-process with FLEET_SWEEP_API_RULES (list, stop, remove; no create, no exec), so a mistake
 * here cannot do more than those.
 */
import { ROLE } from '@dockside/common';
import { API_SOCKET_PATH, connectEngine, LABEL, listAllContainers, listVolumeNames, removeNamedVolume, removeWithAnonymousVolumes, stopContainer } from '@dockside/engine';
import { startApiProxy } from '@dockside/sidecar-kit';
import { FLEET_SWEEP_API_RULES } from '../api-access.js';
import { FLEET_LABEL, FLEET_VOLUME, SHIPPER_VOLUME_PATTERN } from '../names.js';

export interface SweepReport {
  node: string;
  containers: number;
  volumes: number;
}

export async function sweep(node: string, log: (m: string) => void): Promise<SweepReport> {
  const proxy = await startApiProxy({ listen: API_SOCKET_PATH, upstream: '/var/run/docker.sock', rules: FLEET_SWEEP_API_RULES, role: 'fleet-sweep', log });
  try {
    const engine = await connectEngine({ env: { DOCKER_HOST: `unix://${API_SOCKET_PATH}` } });
    let containers = 0;
    for (const c of await listAllContainers(engine, [`${LABEL.managed}=true`, FLEET_LABEL.chore])) {
      if (c.labels[LABEL.role] !== ROLE.logship) continue;
      await stopContainer(engine, c.id, 20).catch(() => undefined);
      await removeWithAnonymousVolumes(engine, c.id);
      containers++;
    }
    const prefix = SHIPPER_VOLUME_PATTERN.slice(0, -1);
    const names = new Set<string>([FLEET_VOLUME.agentApi, FLEET_VOLUME.logsApi]);
    for (const v of await listVolumeNames(engine)) if (v.startsWith(prefix)) names.add(v);
    let volumes = 0;
    for (const name of names) {
      // A proxy task of the removed service may still hold its volume for a moment.
      for (let i = 0; ; i++) {
        try {
          await removeNamedVolume(engine, name);
          volumes++;
          break;
        } catch (err) {
          if (i >= 40) {
            log(`could not remove volume ${name}: ${(err as Error).message}`);
            break;
          }
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    }
    return { node, containers, volumes };
  } finally {
    await proxy.close();
  }
}
