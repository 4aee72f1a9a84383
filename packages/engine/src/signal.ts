/** Sending a signal to a container's main process (e.g. asking a sidecar to finish early). */
import type { Engine } from './engine.js';
import { mapEngineError, statusOf } from './errors.js';

/** Signal a container; one that is already gone or stopped (404, 409) is fine. */
export async function signalContainer(engine: Engine, id: string, signal: NodeJS.Signals): Promise<void> {
  try {
    await engine.docker.getContainer(id).kill({ signal });
  } catch (err) {
    const s = statusOf(err);
    if (s === 404 || s === 409) return;
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: `signalling container ${id.slice(0, 12)}` });
  }
}
