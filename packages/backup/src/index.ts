/** Host-side API of the backup sidecar, used by the CLI. */
export const ROLE = 'backup';
export * from './model.js';
export * from './naming.js';
export * from './retention.js';
export * from './target.js';
export { runBackup, selectMounts, type BackupOptions, type BackupResult } from './service/backup.js';
export { runRestore, type RestoreOptions, type RestoreResult } from './service/restore.js';
export { listBackups, verifyBackup, pruneBackups, readCatalog, resolveManifest, type Catalog, type VerifyResult, type PruneResult } from './service/catalog.js';
export type { ServiceContext } from './service/sidecar.js';
export type { LocationOptions } from './service/location.js';
