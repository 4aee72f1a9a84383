/** What the engine says about itself: versions, cgroup layout, storage. */
import { dockerOf } from './client.js';
import type { Engine } from './engine.js';
import { connectionError, mapEngineError } from './errors.js';

export interface EngineInfo {
  endpoint: string;
  /** The engine host's name (what dockside records as the host that owns what it registers). */
  name: string;
  serverVersion: string;
  apiVersion: string;
  minApiVersion: string;
  os: string;
  kernel: string;
  arch: string;
  cgroupVersion: string;
  cgroupDriver: string;
  storageDriver: string;
  rootless: boolean;
  containers: number;
  running: number;
  images: number;
}

export async function engineInfo(engine: Engine): Promise<EngineInfo> {
  try {
    const [version, info] = await Promise.all([(await dockerOf(engine)).version(), (await dockerOf(engine)).info()]);
    const security: string[] = (info as { SecurityOptions?: string[] }).SecurityOptions ?? [];
    return {
      endpoint: engine.endpoint.display,
      name: info.Name,
      serverVersion: version.Version,
      apiVersion: version.ApiVersion,
      minApiVersion: (version as { MinAPIVersion?: string }).MinAPIVersion ?? '',
      os: info.OperatingSystem,
      kernel: version.KernelVersion,
      arch: version.Arch,
      cgroupVersion: (info as { CgroupVersion?: string }).CgroupVersion ?? '1',
      cgroupDriver: (info as { CgroupDriver?: string }).CgroupDriver ?? '',
      storageDriver: info.Driver,
      rootless: security.some((s) => s.includes('rootless')),
      containers: info.Containers,
      running: info.ContainersRunning,
      images: info.Images,
    };
  } catch (err) {
    throw connectionError(err, engine.endpoint) ?? mapEngineError(err, { endpoint: engine.endpoint, doing: 'asking the engine for its version' });
  }
}
