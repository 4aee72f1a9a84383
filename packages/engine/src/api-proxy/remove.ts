/** Finding and removing api-proxies by label; a service's removal takes its proxy and volume with it. */
import { dockerOf } from '../connection/client.js';
import type { Engine } from '../connection/engine.js';
import { mapEngineError, statusOf } from '../connection/errors.js';
import { LABEL } from '../containers/labels.js';
import { removeNamedVolume } from '../volumes/volumes.js';
import { API_PROXY_LABEL } from './labels.js';

export interface ApiProxyInfo {
  id: string;
  name: string;
  /** Name of the service container it serves. */
  service: string;
  volume: string;
  state: string;
}

async function listByLabel(engine: Engine, labels: string[]) {
  try {
    return await (await dockerOf(engine)).listContainers({ all: true, filters: { label: [`${LABEL.managed}=true`, ...labels] } });
  } catch (err) {
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: 'listing api-proxies' });
  }
}

/**
 * Every api-proxy on the engine, or those serving the service named `service`, or services of
 * `role` (the proxies' own role is `<role>-api-proxy`).
 */
export async function listApiProxies(engine: Engine, sel: { service?: string; volume?: string; role?: string } = {}): Promise<ApiProxyInfo[]> {
  const list = await listByLabel(engine, [
    sel.service ? `${API_PROXY_LABEL.service}=${sel.service}` : API_PROXY_LABEL.service,
    ...(sel.volume ? [`${API_PROXY_LABEL.volume}=${sel.volume}`] : []),
    ...(sel.role ? [`${LABEL.role}=${sel.role}-api-proxy`] : []),
  ]);
  return list.map((c) => ({
    id: c.Id,
    name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''),
    service: c.Labels[API_PROXY_LABEL.service] ?? '',
    volume: c.Labels[API_PROXY_LABEL.volume] ?? '',
    state: c.State,
  }));
}

async function removeContainer(engine: Engine, id: string): Promise<void> {
  try {
    await (await dockerOf(engine)).getContainer(id).remove({ force: true, v: true });
  } catch (err) {
    const s = statusOf(err);
    if (s === 404 || s === 409) return;
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: `removing api-proxy ${id.slice(0, 12)}` });
  }
}

/** Remove every container sharing the socket volume `volume` (proxy and service), then the volume. */
export async function removeApiProxyPair(engine: Engine, volume: string): Promise<void> {
  const list = await listByLabel(engine, [`${API_PROXY_LABEL.volume}=${volume}`]);
  await Promise.all(list.map((c) => removeContainer(engine, c.Id)));
  await removeNamedVolume(engine, volume);
}

/**
 * The volume linking container `id` to an api-proxy, read before it is removed (undefined when it
 * has none, or is gone).
 */
export async function apiProxyVolumeOf(engine: Engine, id: string): Promise<string | undefined> {
  try {
    const info = await (await dockerOf(engine)).getContainer(id).inspect();
    return info.Config?.Labels?.[API_PROXY_LABEL.volume] || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Proxies whose service is gone (removed with `docker rm`, or a start interrupted between the
 * two), with their volumes. Returns what was removed.
 */
export async function removeOrphanApiProxies(engine: Engine, sel: { role?: string; service?: string } = {}): Promise<ApiProxyInfo[]> {
  const proxies = await listApiProxies(engine, sel);
  const orphans: ApiProxyInfo[] = [];
  for (const p of proxies) {
    const pair = await listByLabel(engine, [`${API_PROXY_LABEL.volume}=${p.volume}`]);
    if (pair.every((c) => c.Labels[API_PROXY_LABEL.service] !== undefined)) orphans.push(p);
  }
  await Promise.all(orphans.map((p) => removeApiProxyPair(engine, p.volume)));
  return orphans;
}
