/**
 * Starting a service behind its own api-proxy (ServiceSpec.apiAccess):
 *
 *   1. a named volume for the socket (labelled, so leftovers can be found);
 *   2. the proxy: the service's own image running `api-proxy` (every runProgram image answers it),
 *      role `<role>-api-proxy`, no network, no capabilities, a read-only root, restart
 *      unless-stopped, the engine socket bind-mounted read-only (the only container of the pair
 *      that gets it), the create policy's allowed bind directories read-only at the same paths
 *      (to resolve symlinks in bind sources), the rules in its env (they are not secrets);
 *   3. once the proxy reports `listening`: the service, with the volume at /run/dockside-api,
 *      DOCKER_HOST=unix:///run/dockside-api/docker.sock, the socket group, and no engine socket.
 *
 * Any failure on the way removes what was started (proxy, volume) before rethrowing.
 */
import { randomBytes } from 'node:crypto';
import createDebug from 'debug';
import { BugError, UserError, decodeLine } from '@dockside/common';
import { DEFAULT_SOCKET } from '../connection/endpoint.js';
import { dockerOf } from '../connection/client.js';
import type { Engine } from '../connection/engine.js';
import { containerLogTail } from '../containers/log-tail.js';
import { createLabels } from '../containers/labels.js';
import { sidecarName, type SidecarMount } from '../sidecars/create.js';
import { startService, type ServiceSpec } from '../sidecars/service.js';
import { createNamedVolume } from '../volumes/volumes.js';
import { API_DOCKER_HOST, API_PROXY_LABEL, API_SOCKET_DIR, API_SOCKET_GID, PROXY_UPSTREAM } from './labels.js';
import { removeApiProxyPair } from './remove.js';
import type { ApiAccess, ApiProxyHandle } from './types.js';

const debug = createDebug('dockside:api-proxy');

/** The engine's socket on the engine's host (what the proxy bind-mounts). */
export function engineSocketSource(engine: Engine): string {
  return engine.endpoint.kind === 'unix' ? (engine.endpoint.socketPath ?? DEFAULT_SOCKET) : DEFAULT_SOCKET;
}

/** A mount that would hand the service the engine socket itself, which apiAccess exists to avoid. */
function socketMounts(spec: ServiceSpec, socket: string): SidecarMount[] {
  return (spec.mounts ?? []).filter(
    (m) => m.type === 'bind' && (m.source === socket || m.source === DEFAULT_SOCKET || m.target === DEFAULT_SOCKET || m.target === '/run/docker.sock'),
  );
}

async function waitListening(engine: Engine, id: string, role: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const tail = await containerLogTail(engine, id, 50);
    for (const line of tail.split('\n')) {
      const d = decodeLine(line.trim());
      if (d.kind === 'event' && d.event.type === 'progress' && d.event.name === 'listening') return;
    }
    const state = (
      await (
        await dockerOf(engine)
      )
        .getContainer(id)
        .inspect()
        .catch(() => undefined)
    )?.State;
    if (!state || (!state.Running && !state.Restarting && state.Status !== 'created')) {
      throw new UserError(`the api-proxy for ${role} exited before listening${tail ? `; it said: ${tail.split('\n').pop()}` : ''}`, {
        hint: 'rebuild the images (`dockside images build`): every dockside image must answer `api-proxy`',
      });
    }
    if (Date.now() > end) {
      throw new UserError(`the api-proxy for ${role} did not start listening within ${Math.round(timeoutMs / 1000)} s`, {
        hint: 'check `docker logs` of the <role>-api-proxy container',
      });
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Start the proxy (and its socket volume) for the service named `serviceName`. */
export async function startApiProxy(engine: Engine, service: ServiceSpec & { name: string }, access: ApiAccess, opts: { readyTimeoutMs?: number } = {}): Promise<ApiProxyHandle> {
  const role = `${service.role}-api-proxy`;
  const volume = `dockside-api-${randomBytes(6).toString('hex')}`;
  const links = { [API_PROXY_LABEL.service]: service.name, [API_PROXY_LABEL.volume]: volume };
  await createNamedVolume(engine, volume, createLabels({ role, version: service.version, session: service.session, extra: links }));
  let id: string | undefined;
  try {
    ({ id } = await startService(engine, {
      role,
      image: service.image,
      version: service.version,
      session: service.session,
      ...(service.target ? { target: service.target } : {}),
      name: `${service.name}-api-proxy`.slice(0, 63),
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
    }));
    await waitListening(engine, id, service.role, opts.readyTimeoutMs ?? 15_000);
    debug('api-proxy %s for %s listening (%d rules)', id.slice(0, 12), service.name, access.rules.length);
    return { id, volume };
  } catch (err) {
    await removeApiProxyPair(engine, volume).catch(() => undefined);
    throw err;
  }
}

/**
 * Start a service behind its api-proxy: `start` gets the service spec rewritten to reach the
 * engine only through the proxy (no apiAccess left in it). If `start` fails, the proxy and its
 * volume are removed before rethrowing (`start` removes the service itself).
 */
export async function withApiProxy<S extends ServiceSpec>(engine: Engine, spec: S, start: (spec: S) => Promise<{ id: string }>): Promise<{ id: string }> {
  const { apiAccess, ...rest } = spec;
  if (!apiAccess) return start(spec);
  const socket = engineSocketSource(engine);
  const bad = socketMounts(spec, socket);
  if (bad.length) throw new BugError(`the ${spec.role} service has apiAccess and also mounts the engine socket (${bad.map((m) => m.target).join(', ')})`);
  const name = spec.name ?? sidecarName(spec.role, spec.target?.name);
  const proxy = await startApiProxy(engine, { ...rest, name } as ServiceSpec & { name: string }, apiAccess);
  const groups = [...(rest.hostConfig?.GroupAdd ?? []), String(API_SOCKET_GID)];
  try {
    return await start({
      ...rest,
      name,
      env: { ...rest.env, DOCKER_HOST: API_DOCKER_HOST },
      mounts: [...(rest.mounts ?? []), { type: 'volume', source: proxy.volume, target: API_SOCKET_DIR }],
      labels: { ...rest.labels, [API_PROXY_LABEL.volume]: proxy.volume },
      hostConfig: { ...rest.hostConfig, GroupAdd: groups },
    } as unknown as S);
  } catch (err) {
    await removeApiProxyPair(engine, proxy.volume).catch(() => undefined);
    throw err;
  }
}

/** The spec rewritten to reach the engine through a running proxy whose socket is in `volume`. */
export function viaSharedApiProxy<S extends ServiceSpec>(spec: S, volume: string): S {
  return {
    ...spec,
    env: { ...spec.env, DOCKER_HOST: API_DOCKER_HOST },
    mounts: [...(spec.mounts ?? []), { type: 'volume', source: volume, target: API_SOCKET_DIR }],
    hostConfig: { ...spec.hostConfig, GroupAdd: [...(spec.hostConfig?.GroupAdd ?? []), String(API_SOCKET_GID)] },
  };
}
