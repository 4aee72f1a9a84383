/**
 * What a service's api-proxy is (ServiceSpec.apiAccess), as data: sidecars/service.ts starts it,
 * like any other service, before the service itself.
 *
 *   1. a named volume for the socket (labelled, so leftovers can be found);
 *   2. the proxy: the service's own image running `api-proxy` (every runProgram image answers it),
 *      role `<role>-api-proxy`, no network, no capabilities, a read-only root, restart
 *      unless-stopped, the engine socket bind-mounted read-only (the only container of the pair
 *      that gets it), the create policy's allowed bind directories read-only at the same paths
 *      (to resolve symlinks in bind sources), the rules in its env (they are not secrets);
 *   3. the service rewritten to reach the engine through it: the volume at /run/dockside-api,
 *      DOCKER_HOST=unix:///run/dockside-api/docker.sock, the socket group, and no engine socket.
 */
import { randomBytes } from 'node:crypto';
import { BugError } from '@dockside/common';
import { DEFAULT_SOCKET } from '../connection/endpoint.js';
import type { Engine } from '../connection/engine.js';
import { createLabels } from '../containers/labels.js';
import { sidecarName, type SidecarMount, type SidecarSpec } from '../sidecars/create.js';
import { createNamedVolume } from '../volumes/volumes.js';
import { API_DOCKER_HOST, API_PROXY_LABEL, API_SOCKET_DIR, API_SOCKET_GID, PROXY_UPSTREAM } from './labels.js';
import type { ApiAccess } from './types.js';

/** The engine's socket on the engine's host (what the proxy bind-mounts). */
export function engineSocketSource(engine: Engine): string {
  return engine.endpoint.kind === 'unix' ? (engine.endpoint.socketPath ?? DEFAULT_SOCKET) : DEFAULT_SOCKET;
}

/** A mount that would hand the service the engine socket itself, which apiAccess exists to avoid. */
function socketMounts(spec: SidecarSpec, socket: string): SidecarMount[] {
  return (spec.mounts ?? []).filter(
    (m) => m.type === 'bind' && (m.source === socket || m.source === DEFAULT_SOCKET || m.target === DEFAULT_SOCKET || m.target === '/run/docker.sock'),
  );
}

/** The proxy of a service that is to be started as `service` (its name settled here if it had none). */
export interface PreparedApiProxy<S> {
  /** The proxy's own service spec (restart unless-stopped, no network, the engine socket read-only). */
  spec: SidecarSpec & { restart: 'unless-stopped' };
  /** The named volume holding its socket, created here: the pair's shared key. */
  volume: string;
  /** The service, named. */
  service: S;
}

/** Check the service, create the socket volume, and say what the proxy is. */
export async function prepareApiProxy<S extends SidecarSpec>(engine: Engine, service: S, access: ApiAccess): Promise<PreparedApiProxy<S>> {
  const bad = socketMounts(service, engineSocketSource(engine));
  if (bad.length) throw new BugError(`the ${service.role} service has apiAccess and also mounts the engine socket (${bad.map((m) => m.target).join(', ')})`);
  const named = { ...service, name: service.name ?? sidecarName(service.role, service.target?.name) };
  const role = `${service.role}-api-proxy`;
  const volume = `dockside-api-${randomBytes(6).toString('hex')}`;
  const links = { [API_PROXY_LABEL.service]: named.name, [API_PROXY_LABEL.volume]: volume };
  await createNamedVolume(engine, volume, createLabels({ role, version: service.version, session: service.session, extra: links }));
  return {
    volume,
    service: named,
    spec: {
      role,
      image: service.image,
      version: service.version,
      session: service.session,
      ...(service.target ? { target: service.target } : {}),
      name: `${named.name}-api-proxy`.slice(0, 63),
      cmd: ['api-proxy', '--role', service.role, '--gid', String(API_SOCKET_GID)],
      env: {
        DOCKSIDE_API_RULES: JSON.stringify(access.rules),
        ...(access.createPolicy ? { DOCKSIDE_API_CREATE_POLICY: JSON.stringify(access.createPolicy) } : {}),
      },
      mounts: [
        { type: 'bind', source: engineSocketSource(engine), target: PROXY_UPSTREAM, readOnly: true, hostInterface: true },
        { type: 'volume', source: volume, target: API_SOCKET_DIR },
        // The allowed bind directories, read-only at the same path: inside them the proxy's view
        // is the host's, so it can follow symlinks in a bind source as the engine will.
        ...(access.createPolicy?.bindSources ?? []).map((dir) => ({ type: 'bind' as const, source: dir, target: dir, readOnly: true })),
      ],
      capAdd: [],
      readonlyRootfs: true,
      networkMode: 'none',
      // Only the links: copying the service's own labels would make the proxy show up as the service.
      labels: links,
      // 128 MiB: a proxy streaming a job's output (a hijacked exec) allocates a Buffer per read, and
      // V8 collects those only once tens of MiB of them have piled up (its external-memory GC
      // trigger), on top of Node's own ~25 MiB: at 64 MiB, 100 MiB of output got it OOM-killed.
      hostConfig: { GroupAdd: [String(API_SOCKET_GID)], Memory: 128 * 1024 * 1024, PidsLimit: 32 },
      restart: 'unless-stopped',
    },
  };
}

/** The service rewritten to reach the engine through its own proxy, whose socket is in `volume`. */
export function behindApiProxy<S extends SidecarSpec>(spec: S, volume: string): S {
  const s = viaSharedApiProxy(spec, volume);
  return { ...s, labels: { ...s.labels, [API_PROXY_LABEL.volume]: volume } };
}

/** The spec rewritten to reach the engine through a running proxy whose socket is in `volume`. */
export function viaSharedApiProxy<S extends SidecarSpec>(spec: S, volume: string): S {
  return {
    ...spec,
    env: { ...spec.env, DOCKER_HOST: API_DOCKER_HOST },
    mounts: [...(spec.mounts ?? []), { type: 'volume', source: volume, target: API_SOCKET_DIR }],
    hostConfig: { ...spec.hostConfig, GroupAdd: [...(spec.hostConfig?.GroupAdd ?? []), String(API_SOCKET_GID)] },
  };
}
