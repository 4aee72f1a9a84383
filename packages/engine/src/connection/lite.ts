/**
 * The metrics exporter's container reads over the raw socket client (socket.ts): GET
 * /containers/json and GET /containers/<id>/json (its events are events/watch.ts's), which with GET
 * /events are exactly the calls the exporter's api-proxy allows (metrics EXPORTER_API_RULES).
 * Exported as `@dockside/engine/lite`, which loads no dockerode.
 */
import { toBrief, type ContainerBrief } from '../containers/brief.js';
import { getJson, socketClient, socketPathFromEnv, type SocketClient } from './socket.js';

export type { ContainerBrief } from '../containers/brief.js';

/** The raw socket client of connection/socket.ts (a path and an API version prefix). */
export type LiteClient = SocketClient;

export const liteClient = socketClient;

/** The engine socket a sidecar is told about (DOCKER_HOST=unix:///path, else the default); see socket.ts. */
export const liteSocketFromEnv = socketPathFromEnv;

export async function liteListRunning(client: LiteClient): Promise<ContainerBrief[]> {
  const list = await getJson<Array<Parameters<typeof toBrief>[0]>>(client, '/containers/json');
  return list.map(toBrief);
}

interface InspectLite {
  Id: string;
  Name: string;
  Created?: string;
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
      created: Date.parse(info.Created ?? '') || 0,
    },
    pid: info.State.Pid ?? 0,
  };
}
