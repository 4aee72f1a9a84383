/**
 * Entry point of the fleet image (bundled to images/fleet/build/fleet.mjs).
 *   agent    the per-node agent (the fleet's global service), through DOCKER_HOST (its proxy)
 *   sweep    the clean-up task of `fleet down` on every node; `swept` its healthcheck
 * plus `version`, `probe` and `api-proxy` (the fleet's proxies run this image) from sidecar-kit.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { ROLE } from '@dockside/common';
import { connectEngine } from '@dockside/engine';
import { EventWriter, runProgram } from '@dockside/sidecar-kit';
import { decodeChores } from '../chores.js';
import { runAgent } from '../agent/agent.js';
import { sweep } from '../agent/sweep.js';

declare const DOCKSIDE_VERSION: string | undefined;
const version = typeof DOCKSIDE_VERSION === 'string' ? DOCKSIDE_VERSION : 'dev';
const SWEPT = '/run/dockside-api/swept';
const log = (msg: string) => process.stderr.write(`${new Date().toISOString()} dockside-fleet: ${msg}\n`);

await runProgram({
  role: ROLE.fleet,
  version,
  commands: {
    agent: async () => {
      const env = process.env;
      const chores = decodeChores(env['DOCKSIDE_FLEET_CHORES']);
      const ctl = new AbortController();
      process.once('SIGTERM', () => ctl.abort());
      process.once('SIGINT', () => ctl.abort());
      await runAgent({
        engine: await connectEngine(),
        chores,
        node: env['DOCKSIDE_NODE'] ?? '',
        nodeId: env['DOCKSIDE_NODE_ID'] ?? '',
        version,
        logshipImage: env['DOCKSIDE_FLEET_LOGSHIP_IMAGE'] ?? `dockside/logship:${version}`,
        log,
        signal: ctl.signal,
      });
    },
    sweep: async () => {
      new EventWriter().result(await sweep(process.env['DOCKSIDE_NODE'] ?? '', log));
      // Healthy from now on (`swept`), which is what `fleet down` waits for; then idle until removed.
      await writeFile(SWEPT, 'done\n');
      await new Promise<void>((resolve) => {
        // Nothing else is left to keep the process alive while it idles.
        const idle = setInterval(() => undefined, 60_000);
        const stop = () => {
          clearInterval(idle);
          resolve();
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
    },
    swept: async () => (existsSync(SWEPT) ? 0 : 1),
  },
});
