/**
 * A long-running service whose root file system stays read-only while it still receives secret
 * files: the files go into a small anonymous volume mounted at `secretDir`, copied in through the
 * archive API before start (so they never show in `docker inspect`, argv or logs). The volume is
 * removed with the container (`removeWithAnonymousVolumes`), and on any start-up failure.
 */
import { BugError } from '@dockside/common';
import type Dockerode from 'dockerode';
import { dockerOf } from '../connection/client.js';
import type { Engine } from '../connection/engine.js';
import { mapEngineError } from '../connection/errors.js';
import { removeWithAnonymousVolumes } from '../containers/lifecycle.js';
import { loadTarStream } from '../streams/tar.js';
import { buildCreateOptions } from './create.js';
import { checkHostBinds } from './host-paths.js';
import type { ServiceSpec } from './service.js';
import { containerApi } from '../containers/api.js';
import { viaSharedApiProxy, withApiProxy } from '../api-proxy/start.js';

export interface SecretFile {
  /** File name inside secretDir. */
  name: string;
  content: string | Buffer;
  mode?: number;
}

export async function startServiceWithSecrets(
  engine: Engine,
  spec: ServiceSpec & { secretDir: string; secrets: SecretFile[] },
  ready?: (id: string) => Promise<void>,
): Promise<{ id: string }> {
  if (spec.apiAccess && spec.apiSocketVolume) throw new BugError('a service gets apiAccess or apiSocketVolume, not both');
  if (spec.apiAccess) return withApiProxy(engine, spec, (s) => startServiceWithSecrets(engine, s, ready));
  if (spec.apiSocketVolume) {
    const { apiSocketVolume, ...other } = spec;
    return startServiceWithSecrets(engine, viaSharedApiProxy(other, apiSocketVolume), ready);
  }
  const { secretDir, secrets, files: _files, apiAccess: _access, ...rest } = spec;
  await checkHostBinds(engine, spec.role, rest.mounts);
  const opts = await buildCreateOptions({
    ...rest,
    mounts: [...(rest.mounts ?? []), { type: 'volume', target: secretDir }],
    hostConfig: { ...rest.hostConfig, AutoRemove: false, RestartPolicy: { Name: spec.restart ?? 'unless-stopped', MaximumRetryCount: 0 } },
  });
  let container: Dockerode.Container;
  try {
    // Through containerApi: the name goes in the query only (dockerode also puts it in the body,
    // a field an api-proxy's create policy refuses).
    const docker = await dockerOf(engine);
    container = docker.getContainer(await containerApi(engine).create(opts));
  } catch (err) {
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: `creating the ${spec.role} service`, image: spec.image });
  }
  try {
    if (secrets.length) {
      const tar = await loadTarStream();
      const pack = tar.pack();
      for (const s of secrets) {
        const body = typeof s.content === 'string' ? Buffer.from(s.content) : s.content;
        pack.entry({ name: s.name, mode: s.mode ?? 0o400, size: body.length }, body);
      }
      pack.finalize();
      await container.putArchive(pack as unknown as NodeJS.ReadableStream, { path: secretDir });
    }
    await container.start();
    if (ready) await ready(container.id);
    return { id: container.id };
  } catch (err) {
    await removeWithAnonymousVolumes(engine, container.id).catch(() => undefined);
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: `starting the ${spec.role} service` });
  }
}
