/**
 * Entry point of the metrics sidecar image (bundled to images/metrics/build/metrics.js).
 * Answers `version` and `probe` (what it sees of its target); its own work arrives with its issue.
 */
import { runProgram } from '@dockside/sidecar-kit';

declare const DOCKSIDE_VERSION: string | undefined;
const version = typeof DOCKSIDE_VERSION === 'string' ? DOCKSIDE_VERSION : 'dev';

await runProgram({ role: 'metrics', version, defaultCommand: 'probe' });
