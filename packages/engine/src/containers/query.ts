/**
 * The one way containers are listed (GET /containers/json): running only or all, narrowed by label
 * filters. Engine-internal (not exported from index.ts); listing.ts and resolve.ts shape the answer.
 */
import type Dockerode from 'dockerode';
import { containerApi } from './api.js';
import type { Engine } from '../connection/engine.js';
import { mapEngineError } from '../connection/errors.js';

export interface ContainerQuery {
  /** Stopped containers too (default: running and paused only). */
  all?: boolean;
  /** Label filters, `key=value` or `key`. */
  labels?: string[];
}

export async function queryContainers(engine: Engine, query: ContainerQuery, doing: string): Promise<Dockerode.ContainerInfo[]> {
  try {
    return await containerApi(engine).list(query);
  } catch (err) {
    throw mapEngineError(err, { endpoint: engine.endpoint, doing });
  }
}
