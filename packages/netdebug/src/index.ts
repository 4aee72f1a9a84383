/** Host-side API of the netdebug sidecar, used by the CLI. */
export * from './capture.js';
export * from './debug.js';
export * from './events.js';
export * from './pcap-file.js';
export * from './read.js';
export * from './render.js';
export * from './summary.js';
export { loadPcap, type PcapLib } from './pcap-lib.js';
