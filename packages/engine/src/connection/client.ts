/**
 * The dockerode client behind an Engine. Engine-internal: index.ts does not export this module, so
 * other packages hold an Engine they can pass around but cannot reach Docker through ("only the
 * engine package talks to Docker", enforced by types).
 */
import type Dockerode from 'dockerode';
import type { Engine } from './engine.js';

const clients = new WeakMap<Engine, Dockerode>();

export function bindClient(engine: Engine, docker: Dockerode): Engine {
  clients.set(engine, docker);
  return engine;
}

/** The dockerode client of an engine made by connectEngine. */
export function dockerOf(engine: Engine): Dockerode {
  const docker = clients.get(engine);
  if (!docker) throw new Error('bug: this Engine was not made by connectEngine()');
  return docker;
}
