/** The engine's own stats API (GET /containers/<id>/stats), for the metrics cross-check. */
import { dockerOf } from '../connection/client.js';
import type { Engine } from '../connection/engine.js';
import { mapEngineError } from '../connection/errors.js';

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
    const c = (await dockerOf(engine)).getContainer(id);
    return (await c.stats({ stream: false, 'one-shot': true } as { stream: false })) as unknown as EngineStats;
  } catch (err) {
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: `reading stats of ${id.slice(0, 12)}`, subject: `container ${id.slice(0, 12)}` });
  }
}
