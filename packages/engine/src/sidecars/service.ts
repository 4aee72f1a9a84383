/**
 * Long-running sidecars (services): the metrics exporter, the log shipper, the scheduler, the
 * discovery registrar and ambassador, and the api-proxy each of them reaches the engine through.
 * One way to start them all, `startService`:
 *
 *   1. with `apiAccess`, its api-proxy first: a service of its own (api-proxy/proxy-spec.ts says
 *      what it is), started by this same function, and the service's spec rewritten to reach the
 *      engine only through it; with `apiSocketVolume`, through a proxy that already runs;
 *   2. the container: restarted by the engine until stopped, never auto-removed, with its secret
 *      files copied through the archive API into a small anonymous volume at `secretDir` before it
 *      starts (so the root stays read-only and they never show in `docker inspect`, argv or logs);
 *   3. started, then the one readiness rule (ready.ts): the program reports `ready`.
 *
 * Any failure on the way removes what was started (service, its secret volume, proxy, the proxy's
 * socket volume) before the error is rethrown. Stopping is `removeWithAnonymousVolumes`, which takes
 * the proxy pair along.
 */
import { BugError } from '@dockside/common';
import type { Engine } from '../connection/engine.js';
import { dockerOf } from '../connection/client.js';
import { mapEngineError } from '../connection/errors.js';
import { removeWithAnonymousVolumes, stopContainer } from '../containers/lifecycle.js';
import { loadTarStream } from '../streams/tar.js';
import type { ApiAccess } from '../api-proxy/types.js';
import { behindApiProxy, prepareApiProxy, viaSharedApiProxy } from '../api-proxy/proxy-spec.js';
import { removeApiProxyPair } from '../api-proxy/remove.js';
import { createSidecar, type SidecarSpec } from './create.js';
import { waitForReady, type ReadyWait } from './ready.js';

export interface SecretFile {
  /** File name inside secretDir. */
  name: string;
  content: string | Buffer;
  mode?: number;
}

export interface ServiceSpec extends SidecarSpec {
  /** Restart policy for the long-running service (default unless-stopped). */
  restart?: 'no' | 'on-failure' | 'unless-stopped' | 'always';
  /**
   * The Docker API calls the service may make. When set, it gets no engine socket: it reaches the
   * engine through its own api-proxy that allows these calls and refuses everything else.
   */
  apiAccess?: ApiAccess;
  /**
   * Reach the engine through an api-proxy that already runs, whose socket is in this named volume
   * (the fleet's per-node proxy for log shippers). Exclusive with apiAccess.
   */
  apiSocketVolume?: string;
  /** Where the secret files go (an anonymous volume, removed with the container). */
  secretDir?: string;
  secrets?: SecretFile[];
}

/** A started service, and what its `ready` event said. */
export interface StartedService<R> {
  id: string;
  ready: R;
}

export async function startService<R = unknown>(engine: Engine, spec: ServiceSpec, ready: ReadyWait): Promise<StartedService<R>> {
  if (spec.apiAccess && spec.apiSocketVolume) throw new BugError('a service gets apiAccess or apiSocketVolume, not both');
  if (spec.files?.length) throw new BugError(`the ${spec.role} service's files belong in secrets (its root is read-only)`);
  if (spec.apiSocketVolume) {
    const { apiSocketVolume, ...rest } = spec;
    return startService<R>(engine, viaSharedApiProxy(rest, apiSocketVolume), ready);
  }
  if (spec.apiAccess) {
    const { apiAccess, ...rest } = spec;
    const proxy = await prepareApiProxy(engine, rest, apiAccess);
    try {
      await startService(engine, proxy.spec, { what: `the api-proxy for ${spec.role}`, timeoutMs: 15_000, ...(ready.signal ? { signal: ready.signal } : {}) });
      return await startService<R>(engine, behindApiProxy(proxy.service, proxy.volume), ready);
    } catch (err) {
      await removeApiProxyPair(engine, proxy.volume).catch(() => undefined);
      throw err;
    }
  }
  const { secretDir, secrets = [], restart, ...sidecar } = spec;
  if (secrets.length && !secretDir) throw new BugError(`the ${spec.role} service has secrets but no secretDir`);
  const { id } = await createSidecar(engine, {
    ...sidecar,
    mounts: [...(sidecar.mounts ?? []), ...(secretDir ? [{ type: 'volume' as const, target: secretDir }] : [])],
    hostConfig: { ...sidecar.hostConfig, AutoRemove: false, RestartPolicy: { Name: restart ?? 'unless-stopped', MaximumRetryCount: 0 } },
  });
  try {
    const container = (await dockerOf(engine)).getContainer(id);
    try {
      if (secretDir && secrets.length) await container.putArchive(await packSecrets(secrets), { path: secretDir });
      await container.start();
    } catch (err) {
      throw mapEngineError(err, { endpoint: engine.endpoint, doing: `starting the ${spec.role} service` });
    }
    return { id, ready: await waitForReady<R>(engine, id, spec.role, ready) };
  } catch (err) {
    await removeWithAnonymousVolumes(engine, id).catch(() => undefined);
    throw err;
  }
}

async function packSecrets(secrets: SecretFile[]): Promise<NodeJS.ReadableStream> {
  const tar = await loadTarStream();
  const pack = tar.pack();
  for (const s of secrets) {
    const body = typeof s.content === 'string' ? Buffer.from(s.content) : s.content;
    pack.entry({ name: s.name, mode: s.mode ?? 0o400, size: body.length }, body);
  }
  pack.finalize();
  return pack as unknown as NodeJS.ReadableStream;
}

/**
 * Stop a service (SIGTERM, then SIGKILL after `graceSeconds`: the shipper delivers its queue, the
 * scheduler records its runs interrupted) and remove it with its secret volume, its api-proxy and
 * the proxy's socket volume. Already gone is fine.
 */
export async function stopService(engine: Engine, id: string, graceSeconds: number): Promise<void> {
  if (graceSeconds > 0) await stopContainer(engine, id, graceSeconds).catch(() => undefined);
  await removeWithAnonymousVolumes(engine, id);
}
