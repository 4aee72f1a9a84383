export * from './procfs.js';
export * from './probe.js';
export * from './program.js';
