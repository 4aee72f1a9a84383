/** Starting a long-running sidecar (a service) detached, restarted by the engine until stopped. */
import { BugError } from '@dockside/common';
import type { Engine } from '../connection/engine.js';
import { mapEngineError } from '../connection/errors.js';
import { containerApi } from '../containers/api.js';
import { forceRemove } from '../containers/lifecycle.js';
import { createSidecar, type SidecarSpec } from './create.js';
import type { ApiAccess } from '../api-proxy/types.js';
import { viaSharedApiProxy, withApiProxy } from '../api-proxy/start.js';

export interface ServiceSpec extends SidecarSpec {
  /** Restart policy for the long-running service (default unless-stopped). */
  restart?: 'no' | 'on-failure' | 'unless-stopped' | 'always';
  /**
   * The Docker API calls the service may make. When set, it gets no engine socket: it reaches the
   * engine through its own api-proxy (api-proxy/start.ts) that allows these calls and refuses
   * everything else; removing the service (`removeWithAnonymousVolumes`) removes the proxy too.
   */
  apiAccess?: ApiAccess;
  /**
   * Reach the engine through an api-proxy that already runs, whose socket is in this named volume
   * (the fleet's per-node proxy for log shippers): the volume at /run/dockside-api, DOCKER_HOST
   * and the socket group, as apiAccess gives, but no proxy of its own. Exclusive with apiAccess.
   */
  apiSocketVolume?: string;
}

/**
 * Start a long-running sidecar (a service: metrics exporter, log shipper, scheduler) detached. It
 * is not auto-removed; `ready` is awaited and, if it throws, the container is removed before rethrow.
 */
export async function startService(engine: Engine, spec: ServiceSpec, ready?: (id: string) => Promise<void>): Promise<{ id: string }> {
  if (spec.apiAccess && spec.apiSocketVolume) throw new BugError('a service gets apiAccess or apiSocketVolume, not both');
  if (spec.apiAccess) return withApiProxy(engine, spec, (s) => startService(engine, s, ready));
  if (spec.apiSocketVolume) {
    const { apiSocketVolume, ...rest } = spec;
    return startService(engine, viaSharedApiProxy(rest, apiSocketVolume), ready);
  }
  const container = await createSidecar(engine, {
    ...spec,
    hostConfig: {
      ...spec.hostConfig,
      AutoRemove: false,
      RestartPolicy: { Name: spec.restart ?? 'unless-stopped', MaximumRetryCount: 0 },
    },
  });
  try {
    await containerApi(engine).start(container.id);
    if (ready) await ready(container.id);
    return { id: container.id };
  } catch (err) {
    await forceRemove(engine, container.id).catch(() => undefined);
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: `starting the ${spec.role} service` });
  }
}
