/**
 * @dockside/engine: the one door to Docker. Grouped by resource, as testcontainers-node groups its
 * clients: connection/ (where the engine is, the Engine context, error mapping, info, the lite client),
 * containers/, images/, volumes/, exec/, sidecars/ (labelled sidecars and services), streams/ (demux,
 * bounded output, the sidecar protocol reader). The Docker client itself (connection/client.ts,
 * containers/query.ts) is not exported: other packages pass an opaque Engine.
 */
export * from './connection/endpoint.js';
export * from './connection/engine.js';
export * from './connection/errors.js';
export * from './connection/info.js';
export * from './containers/labels.js';
export * from './containers/resolve.js';
export * from './containers/listing.js';
export * from './containers/lifecycle.js';
export * from './containers/resume-guard.js';
export * from './containers/stats.js';
export * from './containers/log-tail.js';
export * from './images/catalog.js';
export * from './images/build.js';
export * from './volumes/volumes.js';
export * from './networks/networks.js';
export * from './exec/exec.js';
export { buildCreateOptions, sidecarName, type SidecarFile, type SidecarMount, type SidecarSpec } from './sidecars/create.js';
export * from './sidecars/run.js';
export * from './sidecars/service.js';
export { waitForReady, type ReadyWait } from './sidecars/ready.js';
export * from './sidecars/env-file.js';
export { checkHostPath } from './sidecars/host-paths.js';
export * from './streams/demux.js';
export * from './streams/output.js';
export * from './streams/event-reader.js';
export * from './api-proxy/index.js';
export * from './events/stream.js';
export * from './exec/exec-job.js';
export * from './sidecars/run-job.js';
export * from './logs/index.js';
export * from './events/index.js';
export * from './logs/labels-of.js';
export * from './containers/archive.js';
export * from './swarm/swarm.js';
