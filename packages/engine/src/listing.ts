/** Listing running containers (one API call) and the engine's own stats API, for metrics. */
import type { Engine } from './engine.js';
import { mapEngineError } from './errors.js';
import { toBrief, type ContainerBrief } from './brief.js';
import { apiProxyVolumeOf, removeApiProxyPair } from './api-proxy/remove.js';

export type { ContainerBrief } from './brief.js';

/** Running (and paused) containers, optionally narrowed by label filters (`key=value` or `key`). */
export async function listRunningContainers(engine: Engine, labels: string[] = []): Promise<ContainerBrief[]> {
  try {
    const list = await engine.docker.listContainers({ all: false, ...(labels.length ? { filters: { label: labels } } : {}) });
    return list.map((c) => toBrief(c as Parameters<typeof toBrief>[0]));
  } catch (err) {
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: 'listing containers' });
  }
}

/** The subset of the Engine stats API's answer the metrics cross-check uses. */
export interface EngineStats {
  read: string;
  cpu_stats: { cpu_usage: { total_usage: number; usage_in_usermode?: number; usage_in_kernelmode?: number }; online_cpus?: number };
  memory_stats: { usage?: number; limit?: number; stats?: Record<string, number> };
  blkio_stats: {
    io_service_bytes_recursive?: Array<{ major: number; minor: number; op: string; value: number }> | null;
  };
  networks?: Record<string, { rx_bytes: number; tx_bytes: number; rx_packets: number; tx_packets: number }>;
  pids_stats?: { current?: number; limit?: number };
}

/** One sample from the Engine stats API (GET /containers/<id>/stats?stream=false&one-shot=true). */
export async function engineStatsOnce(engine: Engine, id: string): Promise<EngineStats> {
  try {
    const c = engine.docker.getContainer(id);
    return (await c.stats({ stream: false, 'one-shot': true } as { stream: false })) as unknown as EngineStats;
  } catch (err) {
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: `reading stats of ${id.slice(0, 12)}`, subject: `container ${id.slice(0, 12)}` });
  }
}

/** The last lines a (non-TTY) container printed, stdout and stderr merged; '' when unavailable. */
export async function containerLogTail(engine: Engine, id: string, lines = 5): Promise<string> {
  try {
    const buf = (await engine.docker.getContainer(id).logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
    const { FrameParser } = await import('./demux.js');
    const frames = new FrameParser().push(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf)));
    return frames.map((f) => f.payload.toString('utf8')).join('').trim();
  } catch {
    return '';
  }
}

/**
 * Remove a container with its anonymous volumes (e.g. one that held a secret copied in before
 * start), and its api-proxy with the proxy's socket volume when it has one (ServiceSpec.apiAccess);
 * a container already gone is fine.
 */
export async function removeWithAnonymousVolumes(engine: Engine, id: string): Promise<void> {
  const proxyVolume = await apiProxyVolumeOf(engine, id);
  if (proxyVolume) return removeApiProxyPair(engine, proxyVolume);
  try {
    await engine.docker.getContainer(id).remove({ force: true, v: true });
  } catch (err) {
    const s = (err as { statusCode?: number }).statusCode;
    if (s === 404 || s === 409) return;
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: `removing container ${id.slice(0, 12)}` });
  }
}
