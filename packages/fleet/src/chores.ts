/**
 * A chore: what the fleet does next to every task of some Swarm services. The CLI writes the list
 * into the agent service's spec (env DOCKSIDE_FLEET_CHORES), so the Swarm keeps it: an agent that
 * restarts, moves or joins on a new node reads the same list.
 */
import { UsageError } from '@dockside/common';

export interface LogsChore {
  /** Chore name (`logs ship --name`): a sidecar's `dockside.fleet.chore` label. */
  id: string;
  kind: 'logs';
  /** Swarm service names whose tasks get a shipper each. */
  services: string[];
  /** The sink URL, as `logs ship --to` takes it. */
  to: string;
  maxLine: number;
}

export type Chore = LogsChore;

const ID = /^[a-z0-9][a-z0-9_-]{0,30}$/;

export function checkChoreId(id: string): string {
  if (!ID.test(id)) throw new UsageError(`a fleet chore name must be 1-31 lower-case letters, digits, - or _ (got "${id}")`);
  return id;
}

/** Parse the agent's env value; anything but a list of well-formed chores is an error naming what. */
export function decodeChores(json: string | undefined): Chore[] {
  if (!json) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new UsageError(`DOCKSIDE_FLEET_CHORES is not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(raw)) throw new UsageError('DOCKSIDE_FLEET_CHORES must be a JSON list of chores');
  const seen = new Set<string>();
  return raw.map((c: unknown, i) => {
    const o = (c ?? {}) as Record<string, unknown>;
    const extra = Object.keys(o).filter((k) => !['id', 'kind', 'services', 'to', 'maxLine'].includes(k));
    if (extra.length) throw new UsageError(`fleet chore ${i} has unknown keys: ${extra.join(', ')}`);
    if (o['kind'] !== 'logs') throw new UsageError(`fleet chore ${i}: kind must be "logs"`);
    const id = checkChoreId(String(o['id'] ?? ''));
    if (seen.has(id)) throw new UsageError(`fleet chore ${id} is listed twice`);
    seen.add(id);
    const services = o['services'];
    if (!Array.isArray(services) || !services.length || services.some((s) => typeof s !== 'string' || !s))
      throw new UsageError(`fleet chore ${id}: services must be a non-empty list of names`);
    if (typeof o['to'] !== 'string' || !o['to']) throw new UsageError(`fleet chore ${id}: to must be a sink URL`);
    const maxLine = o['maxLine'] === undefined ? 1024 * 1024 : o['maxLine'];
    if (typeof maxLine !== 'number' || !Number.isInteger(maxLine) || maxLine < 1024) throw new UsageError(`fleet chore ${id}: maxLine must be an integer >= 1024`);
    return { id, kind: 'logs', services: services as string[], to: o['to'], maxLine };
  });
}

export function encodeChores(chores: readonly Chore[]): string {
  return JSON.stringify(chores);
}

/** The list with `chore` added, or replacing the one of the same id. */
export function withChore(chores: readonly Chore[], chore: Chore): Chore[] {
  return [...chores.filter((c) => c.id !== chore.id), chore];
}
