export * from './labels.js';
export * from './types.js';
export * from './proxy-spec.js';
export * from './remove.js';
