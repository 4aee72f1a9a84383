export * from './errors.js';
export * from './units.js';
export * from './text.js';
export * from './protocol.js';
export * from './child-env.js';
