export * from './errors.js';
export * from './units.js';
export * from './text.js';
export * from './protocol.js';
export * from './roles.js';
export * from './api-access.js';
export * from './create-policy.js';
export * from './child-env.js';
