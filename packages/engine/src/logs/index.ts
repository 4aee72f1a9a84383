export { EngineHttpError, getJson, openStream, postJson, socketClientFromEnv, type SocketClient } from '../connection/socket.js';
export * from './timestamp.js';
export * from './entries.js';
export * from './lines.js';
export * from './containers.js';
export * from './follow.js';
