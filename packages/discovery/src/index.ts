/** Host-side API of the discovery sidecars (register, ambassador), used by the CLI. */
export * from './api-access.js';
export * from './config.js';
export type * from './events.js';
export * from './registry/url.js';
export type { Instance } from './registry/instance.js';
export * from './service/register.js';
export * from './service/ambassador.js';
export * from './service/labels.js';
