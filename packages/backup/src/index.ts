/** Host-side API of the backup sidecar, used by the CLI. */
export const ROLE = 'backup';
export * from './model.js';
export * from './naming.js';
export * from './retention.js';
export * from './destination/parse.js';
export { runBackup, selectMounts, type BackupOptions, type BackupResult } from './service/backup.js';
export { runRestore, type RestoreOptions, type RestoreResult } from './service/restore.js';
export { snapshotHost, snapshotTags, type RepositoryBackupResult } from './service/repo-backup.js';
export { repositoryPath } from './destination/repository.js';
export {
  listRepositorySnapshots,
  verifyRepository,
  pruneRepositorySnapshots,
  type SnapshotRow,
  type RepositoryVerifyResult,
  type RepositoryPruneResult,
} from './service/repo-catalog.js';
export { listBackups, verifyBackup, pruneBackups, readCatalog, resolveManifest, type Catalog, type VerifyResult, type PruneResult } from './service/catalog.js';
export type { ServiceContext } from './service/job-runner.js';
export type { DestinationOptions } from './destination/resolve.js';
export * from './events.js';
export { CorruptArchiveError } from './errors.js';
