/**
 * One registered instance of a service, as every registry stores it (etcd: the key's JSON value;
 * dns: a comment line of the hosts file; Consul: the service's Meta). `host` and `registeredAt` are
 * what tells a stale entry of this host at start (register.ts).
 */
export interface Instance {
  service: string;
  /** Unique per registration: `<host>-<container id, 12>-<port>`. */
  id: string;
  /** The address the container has on its network (what a client connects to), and the port. */
  address: string;
  port: number;
  tags: string[];
  /** The engine host that registered it (the engine's name). */
  host: string;
  /** The container's full id and its name. */
  container: string;
  containerName: string;
  /** When this registration was made (ISO 8601). */
  registeredAt: string;
}

export function instanceId(host: string, containerId: string, port: number): string {
  return `${host}-${containerId.slice(0, 12)}-${port}`.replace(/[^A-Za-z0-9_.-]/g, '-');
}

/** An Instance read back from a registry, or undefined when the value is not one of ours. */
export function parseInstance(value: unknown): Instance | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  const service = str('service');
  const id = str('id');
  const address = str('address');
  const host = str('host');
  const container = str('container');
  const registeredAt = str('registeredAt');
  const port = typeof v['port'] === 'number' ? v['port'] : NaN;
  if (!service || !id || !address || !host || !container || !registeredAt || !Number.isInteger(port)) return undefined;
  const tags = Array.isArray(v['tags']) ? v['tags'].filter((t): t is string => typeof t === 'string') : [];
  return { service, id, address, port, tags, host, container, containerName: str('containerName') ?? '', registeredAt };
}
