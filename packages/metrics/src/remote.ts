/**
 * Collecting where the containers run when that is not here (DOCKER_HOST=tcp:// or ssh://, Docker
 * Desktop's VM): a one-shot metrics sidecar on the engine reads the engine host's cgroup tree and
 * /proc (mounted read-only) and reports each collection as a `collection` progress event of the
 * sidecar protocol; rates are computed here.
 */
import type { CollectProgress } from './events.js';
import { DEFAULT_SOCKET, EventReader, OutputBuffer, runSidecar, type Engine, type SidecarMount } from '@dockside/engine';
import type { Collection } from './collector.js';

/** What the one-shot collector reports (a type alias: ProgressMap needs an index signature). */

/** What every collector sidecar sees of the host: the cgroup tree and /proc, read-only. */
export function hostViewMounts(): SidecarMount[] {
  return [
    { type: 'bind', source: '/sys/fs/cgroup', target: '/host/sys/fs/cgroup', readOnly: true, hostInterface: true },
    { type: 'bind', source: '/proc', target: '/host/proc', readOnly: true, hostInterface: true },
  ];
}

/**
 * The one-shot collector's mounts: the host view plus the Docker socket (read-only mount) for
 * names, images and labels. The one-shot keeps the socket rather than an api-proxy: it has no
 * network (`NetworkMode: none`) and no listener, takes no input from outside, runs one fixed
 * command for about a second and is removed; a proxy would double the containers started per
 * `dockside metrics` call on a remote engine for no reachable attack surface. The long-running
 * exporter, which does listen, reaches the engine only through its api-proxy (service.ts).
 */
export function collectorMounts(socket: string): SidecarMount[] {
  return [...hostViewMounts(), { type: 'bind', source: socket, target: '/var/run/docker.sock', readOnly: true, hostInterface: true }];
}

export interface RemoteCollectOptions {
  image: string;
  version: string;
  session: string;
  samples: number;
  intervalMs: number;
  /** Only these container ids (default: every running container). */
  ids?: string[];
}

export async function collectViaSidecar(engine: Engine, opts: RemoteCollectOptions): Promise<Collection[]> {
  const socket = engine.endpoint.kind === 'unix' ? (engine.endpoint.socketPath ?? DEFAULT_SOCKET) : DEFAULT_SOCKET;
  const collections: Collection[] = [];
  const events = new EventReader<CollectProgress>({
    onEvent: (e) => {
      if (e.type === 'progress' && e.name === 'collection') collections.push(e.data);
    },
  });
  const cmd = ['collect', '--samples', String(opts.samples), '--interval', String(opts.intervalMs)];
  if (opts.ids?.length) cmd.push('--ids', opts.ids.join(','));
  const { exitCode } = await runSidecar(
    engine,
    {
      role: 'metrics',
      image: opts.image,
      version: opts.version,
      session: opts.session,
      cmd,
      mounts: collectorMounts(socket),
      capAdd: [],
      readonlyRootfs: true,
      networkMode: 'none',
      hostConfig: { ...({ CgroupnsMode: 'host' } as object) },
    },
    { stdout: new OutputBuffer(64 * 1024), stderr: events },
  );
  await events.finish();
  if (exitCode !== 0) throw events.failure('metrics', exitCode);
  return collections;
}
