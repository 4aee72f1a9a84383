export * from './names.js';
export * from './chores.js';
export * from './plan.js';
export * from './api-access.js';
export * from './spec.js';
export * from './service.js';
export type * from './events.js';
