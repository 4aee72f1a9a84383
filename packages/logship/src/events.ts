/**
 * The log shipper's sidecar protocol (@dockside/common protocol.ts), typed: its progress events,
 * read by the CLI (service.ts) and written by the program (program/ship.ts). Plain types, no I/O.
 */
import type { StatusSnapshot } from './stats.js';

/** A type alias, not an interface: ProgressMap needs an index signature, and an interface's would make every name's data unknown. */
export type ShipProgress = {
  /** The destination answers: the shipper it replaces may be stopped now (the CLI waits for this). */
  checked: Record<string, never>;
  ready: { containers: number; resumed: number; truncatedBytes: number };
  status: StatusSnapshot;
};
