/** Host-side API of the metrics collector, used by the CLI, plus the pure collector modules. */
export * from './collector.js';
export * from './rates.js';
export * from './exposition.js';
export * from './render.js';
export * from './local.js';
export * from './snapshot.js';
export * from './remote.js';
export * from './service.js';
export * from './top.js';
export { detectLayout, findContainerCgroup, candidatePaths, type CgroupLayout } from './cgroup/layout.js';
export { readCgroupStats, type CgroupStats } from './cgroup/read.js';
export { EXPORTER_API_RULES } from './api-access.js';
