/** What the log shipper asks the engine about containers (list and inspect), over the raw socket. */
import { statusOf } from '../connection/errors.js';
import { getJson, type SocketClient } from '../connection/socket.js';

export interface LogTarget {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  running: boolean;
  tty: boolean;
  /** The logging driver; only drivers the engine can read back (json-file, local, journald) have logs. */
  logDriver: string;
}

interface ListEntry {
  Id: string;
  Names?: string[];
  Image?: string;
  Labels?: Record<string, string> | null;
  State?: string;
}

/** Containers (running and stopped unless `running`), optionally narrowed by label filters (`k=v` or `k`). */
export async function listLogTargets(
  client: SocketClient,
  opts: { labels?: string[]; running?: boolean } = {},
): Promise<Array<{ id: string; name: string; labels: Record<string, string>; running: boolean }>> {
  const filters = opts.labels?.length ? `&filters=${encodeURIComponent(JSON.stringify({ label: opts.labels }))}` : '';
  const list = await getJson<ListEntry[]>(client, `/containers/json?all=${opts.running ? 0 : 1}${filters}`);
  return list.map((c) => ({ id: c.Id, name: (c.Names?.[0] ?? '').replace(/^\//, ''), labels: c.Labels ?? {}, running: c.State === 'running' }));
}

interface InspectEntry {
  Id: string;
  Name: string;
  Config?: { Image?: string; Labels?: Record<string, string> | null; Tty?: boolean };
  State?: { Running?: boolean };
  HostConfig?: { LogConfig?: { Type?: string } };
}

/** One container, or null when it is gone. */
export async function inspectLogTarget(client: SocketClient, idOrName: string): Promise<LogTarget | null> {
  let c: InspectEntry;
  try {
    c = await getJson<InspectEntry>(client, `/containers/${encodeURIComponent(idOrName)}/json`);
  } catch (err) {
    if (statusOf(err) === 404) return null;
    throw err;
  }
  return {
    id: c.Id,
    name: c.Name.replace(/^\//, ''),
    image: c.Config?.Image ?? '',
    labels: c.Config?.Labels ?? {},
    running: Boolean(c.State?.Running),
    tty: Boolean(c.Config?.Tty),
    logDriver: c.HostConfig?.LogConfig?.Type ?? 'json-file',
  };
}

/** The engine answers? (GET /_ping) */
export async function pingSocket(client: SocketClient): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    getJson<unknown>(client, '/_ping', 5000).then(
      () => resolve(),
      (err: Error) => (err instanceof SyntaxError ? resolve() : reject(err)),
    );
  });
}
