/**
 * What the config program inside the sidecar reports to the CLI, in the sidecar protocol
 * (@dockside/common `protocol.ts`): one `result` event per subcommand; a failure is the protocol's
 * `error` event. File contents never travel this way: `read` prints them on stdout, `stage` reads
 * them on stdin. Plain types, no I/O.
 */

/** A regular file as the sidecar found it. */
export interface FileInfo {
  path: string;
  uid: number;
  gid: number;
  /** Permission bits (with setuid/setgid/sticky), without the file type. */
  mode: number;
  size: number;
  sha256: string;
  mtime: string;
}

/** `read`: the file's metadata (its bytes went to stdout). */
export type ReadResult = FileInfo;

/** `stage`: the copy written beside the file, with the file's owner, mode and xattrs. */
export interface StageResult {
  staged: string;
  sha256: string;
}

/** `commit`: the previous version kept in the history, and the file now in place. */
export interface CommitResult {
  /** The history entry the replaced file became. */
  saved: HistoryEntry;
  current: FileInfo;
}

/** One kept version of a file (`.dockside-config/<name>/<n>-<ms>-<sha256>` beside it). */
export interface HistoryEntry {
  /** 1, 2, ...: in the order versions were replaced; never reused. */
  n: number;
  /** When it was replaced (ISO 8601). */
  replacedAt: string;
  sha256: string;
  size: number;
  uid: number;
  gid: number;
  mode: number;
}

/** `history`: the kept versions, oldest first, and the file as it is now. */
export interface HistoryResult {
  current: FileInfo;
  versions: HistoryEntry[];
}

/** `check`: a health probe repeated from inside the target's network namespace until a deadline. */
export interface CheckResult {
  healthy: boolean;
  attempts: number;
  /** What the last attempt saw ("HTTP 200", "connection refused", ...). */
  last: string;
  elapsedMs: number;
}

/** Where the kept versions of `<dir>/<name>` live: `<dir>/.dockside-config/<name>/`. */
export const HISTORY_DIR = '.dockside-config';
/** How many previous versions are kept per file (older ones are removed after each commit). */
export const HISTORY_KEEP = 20;
/** Staged copies are `<dir>/.<name>.dockside-staged-<random>`: dot-files no include glob picks up. */
export const STAGED_MARK = '.dockside-staged-';
