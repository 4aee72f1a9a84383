/**
 * The fleet's Swarm service specs: the agent and the two proxies (global: one task per node,
 * a node that joins later gets them too), and the sweep of `fleet down`. Each is
 * labelled like every dockside container; none is privileged; every one drops all capabilities
 * and runs on a read-only root; only the proxies and the sweep see the node's socket.
 */
import { LOGSHIP_API_RULES } from '@dockside/logship';
import { API_SOCKET_DIR, API_SOCKET_GID, createLabels, PROXY_UPSTREAM } from '@dockside/engine';
import { FLEET_AGENT_API_RULES, fleetAgentCreatePolicy } from './api-access.js';
import { encodeChores, type Chore } from './chores.js';
import { FLEET_LABEL, FLEET_SERVICE, FLEET_VOLUME } from './names.js';

export interface FleetImages {
  fleet: string;
  logship: string;
  version: string;
}

type Spec = Record<string, unknown> & { Name: string };

function labels(role: string, version: string): Record<string, string> {
  return createLabels({ role, version, session: 'fleet', extra: { [FLEET_LABEL.fleet]: 'true' } });
}

const NODE_ENV = ['DOCKSIDE_NODE={{.Node.Hostname}}', 'DOCKSIDE_NODE_ID={{.Node.ID}}'];

function service(name: string, role: string, images: FleetImages, container: Record<string, unknown>, memory: number, mode: Record<string, unknown> = { Global: {} }): Spec {
  const l = labels(role, images.version);
  return {
    Name: name,
    Labels: l,
    TaskTemplate: {
      ContainerSpec: {
        Image: images.fleet,
        Labels: l,
        ReadOnly: true,
        CapabilityDrop: ['ALL'],
        Privileges: { NoNewPrivileges: true },
        ...container,
      },
      Resources: { Limits: { MemoryBytes: memory } },
      RestartPolicy: mode['GlobalJob'] ? { Condition: 'none' } : { Condition: 'any', Delay: 1_000_000_000 },
    },
    Mode: mode,
    // No IPVS on many kernels (and no published port anyway): no virtual IP.
    EndpointSpec: { Mode: 'dnsrr' },
    // A changed chore list restarts every node's agent at once (they hold no state). Jobs take none.
    ...(mode['GlobalJob'] ? {} : { UpdateConfig: { Parallelism: 0, Order: 'stop-first' } }),
  };
}

function volume(name: string, target: string, role: string, version: string): Record<string, unknown> {
  return { Type: 'volume', Source: name, Target: target, VolumeOptions: { Labels: labels(role, version) } };
}

const socketBind = { Type: 'bind', Source: PROXY_UPSTREAM, Target: PROXY_UPSTREAM, ReadOnly: true };

/** The directories of file:// sinks (the agent's shippers bind them; its proxy resolves them). */
export function sinkDirs(chores: readonly Chore[]): string[] {
  const dirs = new Set<string>();
  for (const c of chores) if (c.to.startsWith('file://')) dirs.add(new URL(c.to).pathname.replace(/\/+$/, '') || '/');
  return [...dirs].sort();
}

export function proxySpec(images: FleetImages, chores: readonly Chore[]): Spec {
  const dirs = sinkDirs(chores);
  return service(
    FLEET_SERVICE.proxy,
    'fleet-api-proxy',
    images,
    {
      Args: ['api-proxy', '--role', 'fleet', '--gid', String(API_SOCKET_GID)],
      Env: [`DOCKSIDE_API_RULES=${JSON.stringify(FLEET_AGENT_API_RULES)}`, `DOCKSIDE_API_CREATE_POLICY=${JSON.stringify(fleetAgentCreatePolicy(dirs))}`],
      Groups: [String(API_SOCKET_GID)],
      Mounts: [
        socketBind,
        volume(FLEET_VOLUME.agentApi, API_SOCKET_DIR, 'fleet-api-proxy', images.version),
        ...dirs.map((d) => ({ Type: 'bind', Source: d, Target: d, ReadOnly: true })),
      ],
    },
    64 * 1024 * 1024,
  );
}

export function logsProxySpec(images: FleetImages): Spec {
  return service(
    FLEET_SERVICE.logsProxy,
    'logship-api-proxy',
    images,
    {
      Args: ['api-proxy', '--role', 'logship', '--gid', String(API_SOCKET_GID)],
      Env: [`DOCKSIDE_API_RULES=${JSON.stringify(LOGSHIP_API_RULES)}`],
      Groups: [String(API_SOCKET_GID)],
      Mounts: [socketBind, volume(FLEET_VOLUME.logsApi, API_SOCKET_DIR, 'logship-api-proxy', images.version)],
    },
    64 * 1024 * 1024,
  );
}

export function agentSpec(images: FleetImages, chores: readonly Chore[]): Spec {
  return service(
    FLEET_SERVICE.agent,
    'fleet',
    images,
    {
      Args: ['agent'],
      Env: [`DOCKER_HOST=unix://${API_SOCKET_DIR}/docker.sock`, `DOCKSIDE_FLEET_CHORES=${encodeChores(chores)}`, `DOCKSIDE_FLEET_LOGSHIP_IMAGE=${images.logship}`, ...NODE_ENV],
      Groups: [String(API_SOCKET_GID)],
      Mounts: [volume(FLEET_VOLUME.agentApi, API_SOCKET_DIR, 'fleet-api-proxy', images.version)],
    },
    128 * 1024 * 1024,
  );
}

/**
 * The sweep: a global service (not a GlobalJob: the engine keeps a finished job's containers after
 * the job is removed), whose task turns healthy, so `running`, once it swept its node, then idles
 * until `fleet down` removes the service and, with it, the sweep's containers.
 */
export function sweepSpec(images: FleetImages): Spec {
  const spec = service(
    FLEET_SERVICE.sweep,
    'fleet',
    images,
    {
      Args: ['sweep'],
      Env: NODE_ENV,
      Mounts: [socketBind, { Type: 'tmpfs', Target: API_SOCKET_DIR, TmpfsOptions: { SizeBytes: 1024 * 1024 } }],
      Healthcheck: { Test: ['CMD', 'node', '/opt/dockside/fleet.mjs', 'swept'], Interval: 1_000_000_000, Timeout: 5_000_000_000, Retries: 120, StartPeriod: 0 },
    },
    64 * 1024 * 1024,
  );
  (spec['TaskTemplate'] as Record<string, unknown>)['RestartPolicy'] = { Condition: 'none' };
  return spec;
}

/** The chores an agent service spec holds (what `fleet up` keeps and `logs ship --swarm` edits). */
export function choresOfSpec(spec: Record<string, unknown> | undefined): string | undefined {
  const env = ((spec?.['TaskTemplate'] as { ContainerSpec?: { Env?: string[] } } | undefined)?.ContainerSpec?.Env ?? []) as string[];
  const e = env.find((x) => x.startsWith('DOCKSIDE_FLEET_CHORES='));
  return e?.slice('DOCKSIDE_FLEET_CHORES='.length);
}
