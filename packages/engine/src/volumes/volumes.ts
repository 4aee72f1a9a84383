/** Named volumes: look up, create (labelled), remove. */
import { dockerOf } from '../connection/client.js';
import type { Engine } from '../connection/engine.js';
import { mapEngineError, statusOf } from '../connection/errors.js';

export interface VolumeInfo {
  name: string;
  driver: string;
  mountpoint: string;
  labels: Record<string, string>;
}

export async function inspectVolume(engine: Engine, name: string): Promise<VolumeInfo | undefined> {
  try {
    const v = (await (await dockerOf(engine)).getVolume(name).inspect()) as { Name: string; Driver: string; Mountpoint: string; Labels: Record<string, string> | null };
    return { name: v.Name, driver: v.Driver, mountpoint: v.Mountpoint, labels: v.Labels ?? {} };
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: `looking up volume "${name}"` });
  }
}

export async function createNamedVolume(engine: Engine, name: string, labels: Record<string, string> = {}): Promise<VolumeInfo> {
  try {
    await (await dockerOf(engine)).createVolume({ Name: name, Labels: labels });
  } catch (err) {
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: `creating volume "${name}"` });
  }
  const v = await inspectVolume(engine, name);
  if (!v) throw new Error(`volume "${name}" vanished after creation`);
  return v;
}

export async function removeNamedVolume(engine: Engine, name: string): Promise<void> {
  try {
    await (await dockerOf(engine)).getVolume(name).remove();
  } catch (err) {
    if (statusOf(err) === 404) return;
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: `removing volume "${name}"` });
  }
}
