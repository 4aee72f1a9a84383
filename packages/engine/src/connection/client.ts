/**
 * The clients behind an Engine. Engine-internal: index.ts does not export this module, so other
 * packages hold an Engine they can pass around but cannot reach Docker through ("only the engine
 * package talks to Docker", enforced by types).
 *
 * Two clients, one engine: dockerode, loaded on first use (about 150 KB of JavaScript with its
 * stream and tar dependencies), and, when the engine is on a unix socket, EngineHttp, raw HTTP on
 * that socket, which the hot paths (resolve a target, list, create/attach/start/wait/remove a
 * sidecar) use so that `dockside debug`/`run`/`capture`/`ps` never load dockerode.
 */
import { BugError } from '@dockside/common';
import type Dockerode from 'dockerode';
import type { Engine } from './engine.js';
import type { EngineHttp } from './http.js';

interface Clients {
  load: () => Promise<Dockerode>;
  docker?: Promise<Dockerode>;
  http?: EngineHttp;
}

const clients = new WeakMap<Engine, Clients>();

export function bindClient(engine: Engine, load: () => Promise<Dockerode>, http?: EngineHttp): Engine {
  clients.set(engine, http ? { load, http } : { load });
  return engine;
}

function clientsOf(engine: Engine): Clients {
  const c = clients.get(engine);
  if (!c) throw new BugError('this Engine was not made by connectEngine()');
  return c;
}

/** The dockerode client of an engine made by connectEngine (dockerode is loaded on the first call). */
export function dockerOf(engine: Engine): Promise<Dockerode> {
  const c = clientsOf(engine);
  c.docker ??= c.load();
  return c.docker;
}

/** Raw HTTP on the engine's unix socket or over ssh; undefined for tcp engines (dockerode serves those). */
export function httpOf(engine: Engine): EngineHttp | undefined {
  return clientsOf(engine).http;
}
