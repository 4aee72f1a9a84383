export * from './procfs.js';
export * from './probe.js';
export * from './program.js';
export * from './events.js';
export * from './output.js';
export * from './api-proxy.js';
export * from './api-proxy-command.js';
export * from './args.js';
