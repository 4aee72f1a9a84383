/**
 * A minimal Docker API client over a unix socket, for in-container programs (the metrics
 * exporter). It only reads: GET /containers/json, GET /containers/<id>/json and GET /events, which
 * are exactly the calls the exporter's api-proxy allows (metrics EXPORTER_API_RULES). Kept apart from dockerode so a
 * sidecar bundle stays one small file; exported as `@dockside/engine/lite`, which loads no
 * dockerode.
 */
import { request } from 'node:http';
import { toBrief, type ContainerBrief } from '../containers/brief.js';

export type { ContainerBrief } from '../containers/brief.js';

export interface LiteClient {
  socketPath: string;
  /** API version prefix, e.g. v1.41 (the oldest this project supports). */
  apiVersion: string;
}

export function liteClient(socketPath = '/var/run/docker.sock', apiVersion = 'v1.41'): LiteClient {
  return { socketPath, apiVersion };
}

/**
 * The engine socket a sidecar is told about: DOCKER_HOST=unix:///path (how a service behind its
 * api-proxy is pointed at the proxy's socket), else the default /var/run/docker.sock. Any other
 * DOCKER_HOST scheme is refused: in-container programs speak only over a unix socket.
 */
export function liteSocketFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const host = env['DOCKER_HOST']?.trim();
  if (!host) return '/var/run/docker.sock';
  if (!host.startsWith('unix://') || host.length <= 'unix://'.length) {
    throw new Error(`DOCKER_HOST=${host} is not supported inside a sidecar: only unix:///path/to/docker.sock`);
  }
  return host.slice('unix://'.length);
}

function getJson<T>(client: LiteClient, path: string, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: client.socketPath, path: `/${client.apiVersion}${path}`, method: 'GET', timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > 64 * 1024 * 1024) req.destroy(new Error('engine answer too large'));
        else chunks.push(c);
      });
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if ((res.statusCode ?? 500) >= 400) return reject(new Error(`engine answered ${res.statusCode} for ${path}: ${body.trim()}`));
        try {
          resolve(JSON.parse(body) as T);
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`engine did not answer ${path} in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export async function liteListRunning(client: LiteClient): Promise<ContainerBrief[]> {
  const list = await getJson<Array<Parameters<typeof toBrief>[0]>>(client, '/containers/json');
  return list.map(toBrief);
}

interface InspectLite {
  Id: string;
  Name: string;
  Config?: { Image?: string; Labels?: Record<string, string> | null };
  State?: { Pid?: number; Running?: boolean; Status?: string };
  HostConfig?: { NetworkMode?: string };
}

/** The host pid of a container's main process (0 when it is not running), from GET /containers/<id>/json. */
export async function liteContainerPid(client: LiteClient, id: string): Promise<number> {
  const info = await getJson<InspectLite>(client, `/containers/${encodeURIComponent(id)}/json`);
  return info.State?.Pid ?? 0;
}

/** One container as a brief plus its host pid; null when it is gone or not running. */
export async function liteInspect(client: LiteClient, id: string): Promise<{ brief: ContainerBrief; pid: number } | null> {
  let info: InspectLite;
  try {
    info = await getJson<InspectLite>(client, `/containers/${encodeURIComponent(id)}/json`);
  } catch {
    return null;
  }
  if (!info.State?.Running) return null;
  return {
    brief: {
      id: info.Id,
      name: info.Name.replace(/^\//, ''),
      image: info.Config?.Image ?? '',
      state: info.State.Status ?? 'running',
      labels: info.Config?.Labels ?? {},
      networkMode: info.HostConfig?.NetworkMode ?? 'default',
    },
    pid: info.State.Pid ?? 0,
  };
}

export interface LiteEvent {
  Type: string;
  Action: string;
  id?: string;
  Actor?: { ID: string; Attributes?: Record<string, string> };
}

/**
 * Follow container events (start, die, destroy, rename, update, pause, unpause). Returns a stop
 * function. `onClose` fires when the stream ends or fails, so the caller can reconnect.
 */
export function liteWatchEvents(client: LiteClient, onEvent: (e: LiteEvent) => void, onClose: (err?: Error) => void): () => void {
  const filters = encodeURIComponent(JSON.stringify({ type: ['container'], event: ['start', 'die', 'destroy', 'rename', 'update', 'pause', 'unpause'] }));
  let closed = false;
  const done = (err?: Error) => {
    if (closed) return;
    closed = true;
    onClose(err);
  };
  const req = request({ socketPath: client.socketPath, path: `/${client.apiVersion}/events?filters=${filters}`, method: 'GET' }, (res) => {
    if ((res.statusCode ?? 500) >= 400) {
      res.resume();
      return done(new Error(`engine answered ${res.statusCode} for /events`));
    }
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      buf += c;
      if (buf.length > 1024 * 1024) buf = ''; // a runaway line: drop it rather than grow
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        try {
          onEvent(JSON.parse(line) as LiteEvent);
        } catch {
          /* not JSON: ignore */
        }
      }
    });
    res.on('error', (e) => done(e));
    res.on('end', () => done());
  });
  req.on('error', (e) => done(e));
  req.end();
  return () => {
    closed = true;
    req.destroy();
  };
}
