/**
 * Entry point of the discovery sidecar image (bundled to images/discovery/build/discovery.mjs).
 *   register --config FILE     publish the target while its check passes (register.ts)
 *   ambassador --config FILE   localhost TCP forwarder to healthy instances (ambassador.ts)
 * plus `version`, `probe` and `api-proxy` from sidecar-kit.
 */
import { ROLE } from '@dockside/common';
import { runProgram } from '@dockside/sidecar-kit';
import { ambassador } from './ambassador.js';
import { register } from './register.js';

declare const DOCKSIDE_VERSION: string | undefined;
const version = typeof DOCKSIDE_VERSION === 'string' ? DOCKSIDE_VERSION : 'dev';

await runProgram({ role: ROLE.discovery, version, defaultCommand: 'probe', commands: { register, ambassador } });
