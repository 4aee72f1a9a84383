/**
 * Entry point of the metrics sidecar image (bundled to images/metrics/build/metrics.mjs).
 *   serve [--port 9323] [--interval ms] [--labels k1,k2] [--token-file F]   the exporter
 *   collect [--samples N] [--interval ms] [--ids a,b]                        collections, as events
 * plus `version` and `probe` from sidecar-kit.
 */
import { readFileSync } from 'node:fs';
import { ROLE } from '@dockside/common';
import { liteClient, liteContainerPid, liteListRunning, liteSocketFromEnv } from '@dockside/engine/lite';
import { EventWriter, flag, intFlag, runProgram } from '@dockside/sidecar-kit';
import type { CollectProgress, ExporterProgress } from '../events.js';
import { collect, createCollector, NoCgroupError, SIDECAR_PATHS, type HostPaths } from '../collector.js';
import { startExporter } from './exporter.js';

declare const DOCKSIDE_VERSION: string | undefined;
const version = typeof DOCKSIDE_VERSION === 'string' ? DOCKSIDE_VERSION : 'dev';

function hostPaths(args: string[]): HostPaths {
  return { cgroupRoot: flag(args, '--cgroup-root') ?? SIDECAR_PATHS.cgroupRoot, procRoot: flag(args, '--proc-root') ?? SIDECAR_PATHS.procRoot };
}

const log = (msg: string) => process.stderr.write(`dockside-metrics: ${msg}\n`);

await runProgram({
  role: ROLE.metrics,
  version,
  defaultCommand: 'probe',
  commands: {
    serve: async (args) => {
      const tokenFile = flag(args, '--token-file');
      const token = tokenFile ? readFileSync(tokenFile, 'utf8').trim() : undefined;
      const exporter = await startExporter({
        port: intFlag(args, '--port', 9323, 1, 65535),
        host: flag(args, '--host') ?? '0.0.0.0',
        intervalMs: intFlag(args, '--interval', 10_000, 200, 3_600_000),
        labelAllowList: (flag(args, '--labels') ?? '').split(',').filter(Boolean),
        ...(token ? { token } : {}),
        paths: hostPaths(args),
        client: liteClient(flag(args, '--socket') ?? liteSocketFromEnv()),
        log,
      });
      // The one readiness rule for services: `ready` once it answers.
      new EventWriter<ExporterProgress>().progress('ready', {});
      await new Promise<void>((resolve) => {
        const stop = (sig: string) => {
          log(`got ${sig}, stopping`);
          void exporter.close().then(resolve);
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
    },
    collect: async (args) => {
      const paths = hostPaths(args);
      const state = createCollector(paths, { hostPids: false });
      if (!state) throw new NoCgroupError(paths.cgroupRoot);
      const client = liteClient(flag(args, '--socket') ?? liteSocketFromEnv());
      const samples = intFlag(args, '--samples', 1, 1, 100);
      const intervalMs = intFlag(args, '--interval', 1000, 100, 60_000);
      const only = new Set((flag(args, '--ids') ?? '').split(',').filter(Boolean));
      const list = (await liteListRunning(client)).filter((c) => only.size === 0 || only.has(c.id));
      const targets = await Promise.all(
        list.map(async (c) => ({ id: c.id, name: c.name, image: c.image, labels: c.labels, networkMode: c.networkMode, pid: await liteContainerPid(client, c.id).catch(() => 0) })),
      );
      // One `collection` event per collection, `--interval` apart (rates are computed by the caller).
      const events = new EventWriter<CollectProgress>(process.stderr);
      for (let i = 0; i < samples; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, intervalMs));
        events.progress('collection', collect(state, targets));
      }
    },
  },
});
