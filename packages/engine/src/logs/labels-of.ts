/** A container's labels (host side, through dockerode); {} when it is gone. */
import type { Engine } from '../engine.js';

export async function containerLabels(engine: Engine, id: string): Promise<Record<string, string>> {
  try {
    return (await engine.docker.getContainer(id).inspect()).Config.Labels ?? {};
  } catch {
    return {};
  }
}
