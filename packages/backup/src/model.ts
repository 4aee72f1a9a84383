/**
 * What host and sidecar share: the job a sidecar is given, the manifest a backup commits, and the
 * events a sidecar reports (events.ts). Plain data, no I/O.
 */
import type { DestinationConfig } from './destination/config.js';
export type { DestinationConfig, S3Credentials } from './destination/config.js';

export type Compression = 'zstd' | 'gzip' | 'none';
export const COMPRESSIONS: readonly Compression[] = ['zstd', 'gzip', 'none'];
export const MANIFEST_FORMAT = 'dockside-backup/1';
export const MANIFEST_FILE = 'manifest.json';
export const IN_PROGRESS_FILE = 'in-progress.json';

export interface SourceSpec {
  kind: 'volume' | 'bind';
  /** Volume name, or the host path of a bind mount. */
  name: string;
  /** Mount point in the target (and, through --volumes-from, in the sidecar). */
  mountPoint: string;
  /** Archive file name in the backup. */
  file: string;
  /**
   * Mount points of the target nested inside this one, relative to it (`inner` for /data/inner):
   * archived as empty directories, since they are other mounts (their own archives, if selected).
   */
  nested?: string[];
  /** --exclude patterns as they apply to this mount (the mount-path form made relative). */
  excludes?: string[];
}

export interface EntryCounts {
  files: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
}

export interface SkippedEntry {
  path: string;
  type: string;
}

export interface ArchiveInfo {
  file: string;
  kind: 'volume' | 'bind' | 'dump';
  /** Volume name, bind source, or the dump's file name. */
  name: string;
  /** Mount point in the target (Docker's `Mounts[].Destination`; the manifest format keeps the name). */
  destination?: string;
  /** Bytes stored (after compression). */
  bytes: number;
  /** Bytes before compression (tar stream, or the dump's own bytes). */
  rawBytes: number;
  /** Bytes of file content read. */
  contentBytes: number;
  sha256: string;
  entries: EntryCounts;
  /** What tar cannot carry (sockets), first 100. */
  skipped: SkippedEntry[];
  skippedCount: number;
  warnings: string[];
  /** --exclude patterns applied to it: a restore keeps what they match in the volume. */
  excludes?: string[];
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  id: string;
  container: { name: string; id: string; image: string; imageId: string };
  tool: { name: 'dockside'; version: string };
  startedAt: string;
  finishedAt: string;
  compression: { algorithm: Compression; level: number | null };
  consistency: { mode: 'none' | 'pause' | 'stop'; exec?: string; dump?: string };
  archives: ArchiveInfo[];
  totals: { files: number; contentBytes: number; storedBytes: number };
}

export interface BackupJob {
  op: 'backup';
  id: string;
  destination: DestinationConfig;
  sources: SourceSpec[];
  compression: Compression;
  level: number | null;
  excludes: string[];
  /** Backups in progress on this engine: never treated as leftovers. */
  activeIds: string[];
  /** When the host listed activeIds (ISO time). */
  activeAt?: string;
  /** This run's own token, in its in-progress record: a run removes only a backup carrying it. */
  token?: string;
  /** A later step of a backup whose --dump step created it (and holds its lease). */
  continues?: boolean;
  /** Archives already written by an earlier step of this backup (a --dump). */
  prior: ArchiveInfo[];
  manifest: Omit<Manifest, 'archives' | 'totals' | 'finishedAt' | 'format'>;
  /** Only archive a dump read from stdin (file name), then commit. */
  dumpFile?: string;
  /** Write the manifest (false for the dump step, which a later step commits). */
  commit: boolean;
  /** Time to live of the destination lease (default 60 s). */
  leaseTtlMs?: number;
  /** A file that changed while it was read fails the backup (default: a warning). */
  strict?: boolean;
}

export interface RestoreItem {
  file: string;
  sha256: string;
  bytes: number;
  /** Directory in the sidecar to restore into (replaced). */
  path: string;
  /** Mount points nested inside `path`, relative to it: left in place by the swap. */
  nested?: string[];
  /** The backup's --exclude patterns for this archive: what they match stays in the volume. */
  excludes?: string[];
}

export interface RestoreJob {
  op: 'restore';
  id: string;
  destination: DestinationConfig;
  compression: Compression;
  items: RestoreItem[];
  /** What the archives hold (from the manifest), for progress and ETA. */
  plan: { files: number; bytes: number };
}

export interface VerifyJob {
  op: 'verify';
  destination: DestinationConfig;
  manifest: Manifest;
  /** Also decompress and read every tar entry. */
  deep: boolean;
}

export interface DumpOutJob {
  op: 'dump-out';
  destination: DestinationConfig;
  id: string;
  compression: Compression;
  archive: { file: string; sha256: string; bytes: number };
}

/** A repository (restic's format) as the sidecar sees it: its directory and the password file copied in. */
export interface RepositoryConfig {
  root: string;
  passwordFile: string;
}

/** One snapshot of the sources into a repository (`dockside backup --to <repository>`). */
export interface RepoBackupJob {
  op: 'repo-backup';
  repository: RepositoryConfig;
  sources: SourceSpec[];
  /** All --exclude patterns as given (recorded in the snapshot). */
  excludes: string[];
  /** The snapshot's hostname: fixed per target container, so the parent is found again. */
  hostname: string;
  tags: string[];
}

/** One directory of a snapshot restored into one mount of the target. */
export interface RepoRestoreItem {
  /** The directory in the snapshot (the mount path it was backed up from). */
  from: string;
  /** Directory in the sidecar to restore into (replaced). */
  path: string;
  nested?: string[];
  excludes?: string[];
}

export interface RepoRestoreJob {
  op: 'repo-restore';
  repository: RepositoryConfig;
  /** Full snapshot id. */
  snapshot: string;
  items: RepoRestoreItem[];
}

/** What `dockside backup --to <repository>` reports: the snapshot and what it took. */
export interface SnapshotSummary {
  id: string;
  time: string;
  hostname: string;
  paths: string[];
  tags: string[];
  parent?: string;
  files: number;
  dirs: number;
  /** Files the parent had unchanged (not read again). */
  unchangedFiles: number;
  /** Bytes of file content read. */
  readBytes: number;
  newBlobs: number;
  /** Plaintext bytes of the new blobs. */
  newBytes: number;
  /** Bytes added to the repository (packs, compressed and sealed). */
  storedBytes: number;
  warnings: string[];
}

export type Job = BackupJob | RestoreJob | VerifyJob | DumpOutJob | RepoBackupJob | RepoRestoreJob;

export function extensionFor(c: Compression): string {
  return c === 'zstd' ? '.zst' : c === 'gzip' ? '.gz' : '';
}

export function defaultLevel(c: Compression): number | null {
  return c === 'zstd' ? 3 : c === 'gzip' ? 6 : null;
}

export function levelRange(c: Compression): [number, number] | null {
  return c === 'zstd' ? [1, 19] : c === 'gzip' ? [1, 9] : null;
}

/** A tar entry header as tar-stream reads and writes it (its published types lag behind the code). */
export interface TarHeader {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'contiguous-file' | 'character-device' | 'block-device' | 'fifo' | string;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  size?: number;
  linkname?: string | null;
  pax?: Record<string, string> | null;
  /** Device numbers of a character or block device. */
  devmajor?: number;
  devminor?: number;
}
