export * from './labels.js';
export * from './types.js';
export * from './start.js';
export * from './remove.js';
