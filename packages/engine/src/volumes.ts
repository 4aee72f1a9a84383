/** Named volumes: look up, create (labelled), remove. */
import type { Engine } from './engine.js';
import { mapEngineError, statusOf } from './errors.js';

export interface VolumeInfo {
  name: string;
  driver: string;
  mountpoint: string;
  labels: Record<string, string>;
}

export async function inspectVolume(engine: Engine, name: string): Promise<VolumeInfo | undefined> {
  try {
    const v = (await engine.docker.getVolume(name).inspect()) as { Name: string; Driver: string; Mountpoint: string; Labels: Record<string, string> | null };
    return { name: v.Name, driver: v.Driver, mountpoint: v.Mountpoint, labels: v.Labels ?? {} };
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: `looking up volume "${name}"` });
  }
}

export async function createNamedVolume(engine: Engine, name: string, labels: Record<string, string> = {}): Promise<VolumeInfo> {
  try {
    await engine.docker.createVolume({ Name: name, Labels: labels });
  } catch (err) {
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: `creating volume "${name}"` });
  }
  const v = await inspectVolume(engine, name);
  if (!v) throw new Error(`volume "${name}" vanished after creation`);
  return v;
}

export async function removeNamedVolume(engine: Engine, name: string): Promise<void> {
  try {
    await engine.docker.getVolume(name).remove();
  } catch (err) {
    if (statusOf(err) === 404) return;
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: `removing volume "${name}"` });
  }
}

/** Values of `key` on running dockside containers carrying `labels` (e.g. the ids of backups in progress). */
export async function runningLabelValues(engine: Engine, labels: Record<string, string>, key: string): Promise<string[]> {
  try {
    const list = await engine.docker.listContainers({
      all: false,
      filters: { label: [`dockside=true`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)] },
    });
    return list.map((c) => c.Labels[key]).filter((v): v is string => Boolean(v));
  } catch (err) {
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: 'listing running sidecars' });
  }
}
