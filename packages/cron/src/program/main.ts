/**
 * Entry point of the cron sidecar image (bundled to images/cron/build/cron.js).
 * Answers `version` and `probe` (what it sees of its target); its own work arrives with its issue.
 */
import { ROLE } from '@dockside/common';
import { runProgram } from '@dockside/sidecar-kit';

declare const DOCKSIDE_VERSION: string | undefined;
const version = typeof DOCKSIDE_VERSION === 'string' ? DOCKSIDE_VERSION : 'dev';

await runProgram({ role: ROLE.cron, version, defaultCommand: 'probe' });
