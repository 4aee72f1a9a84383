/** Host-side API of the logship sidecar, used by the CLI. */
export * from './api-access.js';
export * from './config.js';
export * from './sinks/url.js';
export * from './service.js';
export type { StatusSnapshot, TargetStats } from './stats.js';
export * from './tail-service.js';
/** Batch and queue limits: after a kill at most one batch (maxBatchLines) is delivered again. */
export { PIPELINE_DEFAULTS } from './pipeline/pipeline.js';
export type * from './events.js';
