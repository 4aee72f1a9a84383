export * from './procfs.js';
export * from './probe.js';
export * from './program.js';
export * from './events.js';
