/**
 * The metrics sidecar's protocol (@dockside/common protocol.ts), typed: `collect` reports each
 * collection (read by remote.ts), `serve` reports `ready` once it answers (the engine's readiness
 * rule). Plain types, no I/O.
 */
import type { Collection } from './collector.js';

/** A type alias, not an interface: ProgressMap needs an index signature. */
export type CollectProgress = {
  /** One collection, `--interval` after the previous one. */
  collection: Collection;
};

export type ExporterProgress = {
  ready: Record<string, never>;
};
