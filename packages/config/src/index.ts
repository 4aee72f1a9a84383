/** Host-side API of the config sidecar, used by the CLI. */
export * from './events.js';
export * from './spec.js';
export * from './diff.js';
export type { ConfigContext } from './service/context.js';
export * from './service/apply.js';
export * from './service/edit.js';
export * from './service/inspect.js';
