/** Pausing, stopping and starting a target container (for consistent backups and restores). */
import type { Engine } from './engine.js';
import { mapEngineError, statusOf } from './errors.js';

async function act(engine: Engine, id: string, doing: string, f: () => Promise<unknown>, okStatus: number[] = []): Promise<void> {
  try {
    await f();
  } catch (err) {
    const s = statusOf(err);
    if (s !== undefined && okStatus.includes(s)) return;
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: `${doing} container ${id.slice(0, 12)}` });
  }
}

export function pauseContainer(engine: Engine, id: string): Promise<void> {
  return act(engine, id, 'pausing', () => engine.docker.getContainer(id).pause());
}

export function unpauseContainer(engine: Engine, id: string): Promise<void> {
  return act(engine, id, 'unpausing', () => engine.docker.getContainer(id).unpause());
}

/** Stop (SIGTERM, then SIGKILL after `timeoutS`); a container already stopped is fine (304). */
export function stopContainer(engine: Engine, id: string, timeoutS = 10): Promise<void> {
  return act(engine, id, 'stopping', () => engine.docker.getContainer(id).stop({ t: timeoutS }), [304]);
}

/** Start; a container already running is fine (304). */
export function startContainer(engine: Engine, id: string): Promise<void> {
  return act(engine, id, 'starting', () => engine.docker.getContainer(id).start(), [304]);
}
