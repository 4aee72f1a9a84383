/**
 * The `dockside.cron.<job>.dockside` value for backups, `backup --to DIR|s3://... [options]`,
 * parsed into the backup service's options (the same flags as `dockside backup`, minus the
 * container: it is the job's container). Pure, so `cron validate` can check it on the host.
 */
import type { BackupOptions } from '@dockside/backup';
import { UsageError } from '@dockside/common';

/** The backup service's options minus the container (the job's own) and an S3 profile (none in the scheduler). */
export type BackupArgs = Omit<BackupOptions, 'container' | 's3Profile'>;

const VALUE = new Set([
  '--to',
  '--volume',
  '--exclude',
  '--compress',
  '--level',
  '--exec',
  '--dump',
  '--dump-as',
  '--keep-last',
  '--keep-daily',
  '--keep-weekly',
  '--s3-endpoint',
  '--s3-region',
  '--network',
  '--password-file',
  '--host',
]);
const BOOL = new Set(['--pause', '--stop', '--dump-only', '--s3-path-style']);

export function parseBackupArgs(argv: string[]): BackupArgs {
  if (argv[0] !== 'backup') throw new UsageError(`"${argv[0] ?? ''}" is not a dockside command a job can run (known: backup)`);
  const out: BackupArgs = { destination: '', volumes: [], excludes: [], compression: 'zstd', pause: false, stop: false, dumpOnly: false, s3PathStyle: false };
  const int = (flag: string, v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} needs a whole number >= 1, got "${v}"`);
    return n;
  };
  for (let i = 1; i < argv.length; i++) {
    let a = argv[i] as string;
    let v: string | undefined;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      v = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    if (BOOL.has(a)) {
      if (a === '--pause') out.pause = true;
      if (a === '--stop') out.stop = true;
      if (a === '--dump-only') out.dumpOnly = true;
      if (a === '--s3-path-style') out.s3PathStyle = true;
      continue;
    }
    if (!VALUE.has(a)) throw new UsageError(`backup: unknown option "${a}" (the container is the job's own; give options only)`);
    v ??= argv[++i];
    if (v === undefined) throw new UsageError(`backup: ${a} needs a value`);
    switch (a) {
      case '--to':
        out.destination = v;
        break;
      case '--volume':
        out.volumes.push(v);
        break;
      case '--exclude':
        out.excludes.push(v);
        break;
      case '--compress':
        if (v !== 'zstd' && v !== 'gzip' && v !== 'none') throw new UsageError(`backup: --compress is zstd, gzip or none, got "${v}"`);
        out.compression = v;
        break;
      case '--level':
        out.level = int(a, v);
        break;
      case '--exec':
        out.exec = v;
        break;
      case '--dump':
        out.dump = v;
        break;
      case '--dump-as':
        out.dumpAs = v;
        break;
      case '--keep-last':
        out.keepLast = int(a, v);
        break;
      case '--keep-daily':
        out.keepDaily = int(a, v);
        break;
      case '--keep-weekly':
        out.keepWeekly = int(a, v);
        break;
      case '--s3-endpoint':
        out.s3Endpoint = v;
        break;
      case '--s3-region':
        out.s3Region = v;
        break;
      case '--network':
        out.network = v;
        break;
      case '--password-file':
        out.passwordFile = v;
        break;
      case '--host':
        out.host = v;
        break;
    }
  }
  if (!out.destination) throw new UsageError('backup: --to <dir|s3://bucket/prefix> is required');
  if (out.pause && out.stop) throw new UsageError('backup: --pause and --stop exclude each other');
  return out;
}

/** A directory destination must lie under a directory the scheduler was started with (`cron start --backup-dir`). */
export function destinationAllowed(destination: string, dirs: string[]): boolean {
  if (destination.startsWith('s3://')) return true;
  const path = destination.replace(/^file:\/\//, '').replace(/\/+$/, '') || '/';
  return dirs.some((d) => {
    const root = d.replace(/\/+$/, '') || '/';
    return path === root || path.startsWith(`${root}/`);
  });
}
