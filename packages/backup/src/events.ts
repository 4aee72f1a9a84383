/**
 * What the backup sidecar reports to the CLI, in the sidecar protocol (@dockside/common
 * `protocol.ts`): its progress steps by name, and the result of each job. Warnings and errors are
 * the protocol's own `warning` and `error` events. Plain types, no I/O.
 */
import type { ArchiveInfo, Manifest, SnapshotSummary } from './model.js';

/** A type alias, not an interface: ProgressMap needs an index signature. */
export type BackupProgress = {
  /** What will be read (backup) or written (restore), for percentages and an ETA. */
  plan: { files: number; bytes: number };
  /** So far: files and content bytes read or written, bytes stored. */
  progress: { files: number; bytes: number; stored: number };
  /** Every volume has been read (the target can be resumed before the last upload ends). */
  'read-done': Record<string, never>;
  /** Leftovers of incomplete backups removed before this one. */
  cleaned: { ids: string[] };
  /** One archive written. */
  archive: ArchiveInfo;
  /** One archive checked by `verify`. */
  verified: { file: string; ok: boolean; message?: string };
};

/** The `result` of each job (dump-out has none: its output is the dump itself, on stdout). */
export type BackupJobResult =
  /** A committed backup. */
  | { manifest: Manifest }
  /** A snapshot written into a repository. */
  | { snapshot: SnapshotSummary }
  /** The --dump step of a backup that a later step commits. */
  | { archives: ArchiveInfo[] }
  | { restored: Array<{ file: string; path: string }> }
  | { verified: number; bad: number };
