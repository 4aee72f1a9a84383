/**
 * Entry point of the netdebug sidecar image (bundled to images/netdebug/build/netdebug.mjs).
 * Subcommands: `capture` (live capture, pcap output, decoded summary), `selftest` (loads the pcap
 * addon the image carries: what `dockside images build` and `dockside doctor` run), plus `version`
 * and `probe`.
 * `dockside debug` does not go through this program: it runs the requested tool directly.
 */
import { ROLE } from '@dockside/common';
import { runProgram } from '@dockside/sidecar-kit';
import { loadPcap } from '../pcap-lib.js';
import { captureCommand } from './capture.js';

declare const DOCKSIDE_VERSION: string | undefined;
const version = typeof DOCKSIDE_VERSION === 'string' ? DOCKSIDE_VERSION : 'dev';

await runProgram({
  role: ROLE.netdebug,
  version,
  defaultCommand: 'probe',
  commands: {
    capture: captureCommand,
    selftest: async () => {
      process.stdout.write(`netdebug ${version} ${loadPcap().lib_version}\n`);
    },
  },
});
