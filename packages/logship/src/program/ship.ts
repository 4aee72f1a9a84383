/**
 * `ship --config FILE`: the long-running shipper inside its sidecar. Reads its config (copied in
 * before start), takes back its checkpoint from /state, opens the destination (an unreachable one
 * fails the start with one error event), follows the selected containers, and reports through the
 * sidecar protocol: `ready` once it runs, `status` figures every few seconds while they change,
 * warnings for gaps and delivery trouble. SIGTERM drains the queue before exit.
 */
import { readFile } from 'node:fs/promises';
import { UsageError } from '@dockside/common';
import { listLogTargets, pingSocket, socketClientFromEnv, type SocketClient } from '@dockside/engine/logs';
import { EventWriter, flag } from '@dockside/sidecar-kit';
import { CheckpointStore } from '../checkpoint/store.js';
import type { ShipConfig } from '../config.js';
import { INSTANCE_LABEL, NAME_LABEL } from '../labels.js';
import { serveMetrics } from '../metrics.js';
import { PIPELINE_DEFAULTS, Pipeline } from '../pipeline/pipeline.js';
import { checkReachable, createSink } from '../sinks/create.js';
import { FileSink } from '../sinks/file/sink.js';
import { DockerSource } from '../sources/docker.js';
import { FilesSource } from '../sources/files.js';
import { ShipStats } from '../stats.js';
import type { ShipProgress } from '../events.js';

const STATUS_EVERY_MS = 1000;

/**
 * One shipper per checkpoint: wait while another shipper of this name runs (the one being
 * replaced, which the CLI stops once it saw `checked`; it saves its positions on the way out).
 */
async function untilAlone(client: SocketClient, cfg: ShipConfig, log: (m: string) => void): Promise<void> {
  let said = false;
  for (;;) {
    const others = (await listLogTargets(client, { labels: [`${NAME_LABEL}=${cfg.name}`], running: true })).filter((c) => c.labels[INSTANCE_LABEL] !== cfg.instance);
    if (!others.length) return;
    if (!said) log(`waiting for the shipper it replaces (${others.map((c) => c.name).join(', ')}) to stop`);
    said = true;
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function ship(args: string[]): Promise<number> {
  const file = flag(args, '--config');
  if (!file) throw new UsageError('ship needs --config FILE');
  const cfg = JSON.parse(await readFile(file, 'utf8')) as ShipConfig;
  const events = new EventWriter<ShipProgress>();
  const log = (m: string) => process.stderr.write(`dockside-logship: ${m}\n`);
  const warn = (m: string, code?: string) => events.warning(m, code);
  try {
    return await run(cfg, events, log, warn);
  } catch (err) {
    const e = err as { message: string; hint?: string; code?: string; exitCode?: number };
    events.error({ message: e.message, hint: e.hint, code: e.code ?? 'EFAIL', exitCode: e.exitCode ?? 1 });
    throw err;
  }
}

async function run(cfg: ShipConfig, events: EventWriter<ShipProgress>, log: (m: string) => void, warn: (m: string, code?: string) => void): Promise<number> {
  const client = socketClientFromEnv();
  await pingSocket(client).catch((err: Error) => {
    throw new UsageError(`the engine socket ${client.socketPath} does not answer: ${err.message}`);
  });
  // The destination first, while the shipper this one replaces still runs: a bad one fails here
  // and the old shipper never stops.
  await checkReachable(cfg.sink);
  events.progress('checked', {});
  if (cfg.instance) await untilAlone(client, cfg, log);
  const checkpoint = new CheckpointStore(cfg.stateDir);
  await checkpoint.load();
  const stats = ShipStats.fromCheckpoint(checkpoint.data);
  const sink = createSink(cfg.sink);
  await sink.open(checkpoint.data.sink);
  // A first start: the file's length now is checkpointed before any batch, so a kill after the first
  // batch was written but before its checkpoint cuts that batch off on restart instead of keeping
  // it and shipping its lines again (seen as "seq 1" after 2,270 lines in the kill test).
  if (sink instanceof FileSink && checkpoint.data.sink === undefined) {
    checkpoint.data.sink = sink.state;
    await checkpoint.save();
  }
  const pipeline = new Pipeline(sink, checkpoint, stats, { ...PIPELINE_DEFAULTS, warn });
  const running = pipeline.run();
  const source = new DockerSource({
    client,
    selection: cfg.selection,
    maxLine: cfg.maxLine,
    ...(cfg.multilineStart ? { multilineStart: cfg.multilineStart } : {}),
    pipeline,
    checkpoint,
    stats,
    log,
    warn,
  });
  const snapshot = () => stats.snapshot(cfg.name, sink.kind, checkpoint.data.gaps);
  const metrics = cfg.metricsPort ? await serveMetrics('0.0.0.0', cfg.metricsPort, snapshot) : undefined;
  await source.start();
  const files =
    cfg.files.length && cfg.filesTarget ? new FilesSource({ globs: cfg.files, target: cfg.filesTarget, maxLine: cfg.maxLine, pipeline, checkpoint, stats, warn }) : undefined;
  await files?.start();
  const truncatedBytes = sink instanceof FileSink ? sink.truncatedAtStart : 0;
  events.progress('ready', { containers: stats.targets.size, resumed: Object.keys(checkpoint.data.positions).length, truncatedBytes });
  let last = '';
  const report = () => {
    const s = snapshot();
    const text = JSON.stringify({ ...s, since: '' });
    if (text !== last) events.progress('status', s);
    last = text;
  };
  report();
  const timer = setInterval(report, STATUS_EVERY_MS);
  const sig = await new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  log(`got ${sig}: delivering what is queued, then stopping`);
  clearInterval(timer);
  await source.stop();
  await files?.stop();
  pipeline.stop();
  await running;
  await sink.close();
  metrics?.close();
  report();
  return 0;
}
