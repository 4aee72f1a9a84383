/**
 * Entry point of the logship sidecar image (bundled to images/logship/build/logship.mjs).
 *   ship --config FILE   the shipper (see ship.ts)
 *   tail [--lines N] [--follow] <path|glob>...   log files in the volumes it was given (see tail.ts)
 * plus `version` and `probe` from sidecar-kit.
 */
import { ROLE } from '@dockside/common';
import { runProgram } from '@dockside/sidecar-kit';
import { ship } from './ship.js';
import { tail } from './tail.js';

declare const DOCKSIDE_VERSION: string | undefined;
const version = typeof DOCKSIDE_VERSION === 'string' ? DOCKSIDE_VERSION : 'dev';

await runProgram({ role: ROLE.logship, version, defaultCommand: 'probe', commands: { ship, tail } });
