/** Waiting for a container to be gone (AutoRemove finishes shortly after the container exits). */
import type { Engine } from './engine.js';
import { statusOf } from './errors.js';

/** Resolves true once the container no longer exists (404), false after `timeoutMs`. */
export async function waitUntilRemoved(engine: Engine, id: string, timeoutMs = 3000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      await engine.docker.getContainer(id).inspect();
    } catch (err) {
      if (statusOf(err) === 404) return true;
    }
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}
