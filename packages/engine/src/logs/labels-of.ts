/** A container's labels (host side, through dockerode); {} when it is gone. */
import { dockerOf } from '../connection/client.js';
import type { Engine } from '../connection/engine.js';

export async function containerLabels(engine: Engine, id: string): Promise<Record<string, string>> {
  try {
    return (await (await dockerOf(engine)).getContainer(id).inspect()).Config.Labels ?? {};
  } catch {
    return {};
  }
}
