/** Named volumes: look up, create (labelled), remove. */
import { UserError } from '@dockside/common';
import { dockerOf } from '../connection/client.js';
import type { Engine } from '../connection/engine.js';
import { mapEngineError, statusOf } from '../connection/errors.js';

export interface VolumeInfo {
  name: string;
  driver: string;
  mountpoint: string;
  labels: Record<string, string>;
  /** The driver's options (`docker volume create -o`): the local driver's `type=tmpfs` lives in memory. */
  options: Record<string, string>;
}

/** A local-driver volume backed by tmpfs: its content exists only while some container mounts it. */
export function inMemoryVolume(v: VolumeInfo): boolean {
  return v.driver === 'local' && v.options['type'] === 'tmpfs';
}

export async function inspectVolume(engine: Engine, name: string): Promise<VolumeInfo | undefined> {
  try {
    const v = (await (await dockerOf(engine)).getVolume(name).inspect()) as {
      Name: string;
      Driver: string;
      Mountpoint: string;
      Labels: Record<string, string> | null;
      Options?: Record<string, string> | null;
    };
    return { name: v.Name, driver: v.Driver, mountpoint: v.Mountpoint, labels: v.Labels ?? {}, options: v.Options ?? {} };
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: `looking up volume "${name}"` });
  }
}

/** Names of the running (or paused) containers that mount volume `name`. */
export async function containersUsingVolume(engine: Engine, name: string): Promise<string[]> {
  try {
    const list = (await (await dockerOf(engine)).listContainers({ filters: JSON.stringify({ volume: [name], status: ['running', 'paused', 'restarting'] }) })) as Array<{
      Names?: string[];
    }>;
    return list.map((c) => (c.Names?.[0] ?? '').replace(/^\//, '')).sort();
  } catch (err) {
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: `listing the containers of volume "${name}"` });
  }
}

export async function createNamedVolume(engine: Engine, name: string, labels: Record<string, string> = {}): Promise<VolumeInfo> {
  try {
    await (await dockerOf(engine)).createVolume({ Name: name, Labels: labels });
  } catch (err) {
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: `creating volume "${name}"` });
  }
  const v = await inspectVolume(engine, name);
  if (!v) throw new UserError(`volume "${name}" vanished after creation`, { hint: 'something removed it meanwhile: run the command again' });
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

/** The names of every volume on the engine. */
export async function listVolumeNames(engine: Engine): Promise<string[]> {
  try {
    const r = (await (await dockerOf(engine)).listVolumes()) as { Volumes?: Array<{ Name: string }> | null };
    return (r.Volumes ?? []).map((v) => v.Name);
  } catch (err) {
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: 'listing volumes' });
  }
}
