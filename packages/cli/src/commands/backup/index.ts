import { Args, Flags } from '@oclif/core';
import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';
import { listFlag } from '../../lib/flags.js';
import { destinationOptions, networkFlag, retentionFlags, retentionOptions, s3Flags } from '../../lib/backup-flags.js';
import { imageRef, ROLE } from '../../lib/images-catalog.js';
import { passwordFileFlag } from '../../lib/repo-flags.js';

export default class Backup extends DocksideCommand {
  static override summary = "Back up a container's volumes to a directory, a repository in restic's format, or S3.";
  static override description = `Starts the backup sidecar with the container's volumes (--volumes-from) and streams each named volume and bind mount as its own tar archive, compressed with zstd (default) or gzip, straight to the destination: no temporary archive, bounded memory. A manifest (files, sizes, sha256 of each archive, times, versions) is written last; a backup without one is incomplete, never listed, and cleaned up by the next run.

Destinations: a host directory (/abs/path or file:///abs/path) or s3://bucket/prefix. A directory holding a repository (\`dockside repo init\`, or restic's own) gets one encrypted, deduplicated snapshot in restic's format instead: incremental (a file unchanged since the last snapshot of the same --host is not read again), readable by restic itself; the password comes from --password-file, RESTIC_PASSWORD_FILE or RESTIC_PASSWORD and reaches the sidecar as a file. S3 credentials come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or their *_FILE variants, or AWS_PROFILE) and reach the sidecar as a file, never in its environment, arguments or labels.

Consistency: --pause freezes the container while its volumes are read; --stop stops it and starts it again as soon as reading ends; --exec runs a command in it first (a failure fails the backup); --dump stores a command's output (pg_dumpall, mysqldump) as a file in the backup.`;

  static override examples = [
    { description: 'Back up every volume of "app" to a directory:', command: '<%= config.bin %> <%= command.id %> app --to /var/backups/app' },
    { description: 'To S3, keeping 7 daily and 4 weekly backups:', command: '<%= config.bin %> <%= command.id %> app --to s3://backups/app --keep-daily 7 --keep-weekly 4' },
    {
      description: 'A PostgreSQL dump, data-level:',
      command: '<%= config.bin %> <%= command.id %> db --to /var/backups/db --dump "pg_dumpall -U postgres" --dump-as all.sql --dump-only',
    },
    { description: 'An incremental snapshot into a repository:', command: '<%= config.bin %> <%= command.id %> app --to /var/backups/repo --password-file /root/repo.pw' },
    {
      description: 'One volume, paused while read, without caches:',
      command: '<%= config.bin %> <%= command.id %> app --to /backups --volume app-data --pause --exclude "*.tmp" --exclude cache/',
    },
  ];

  static override args = { container: Args.string({ description: 'Container whose volumes to back up (name or id).', required: true }) };

  static override flags = {
    to: Flags.string({ description: 'Where to write: /abs/dir, file:///abs/dir or s3://bucket/prefix.', env: 'DOCKSIDE_BACKUP_TO', required: true }),
    volume: listFlag({ description: 'Back up only this volume (name or mount path); repeatable. Default: all volumes and bind mounts.', env: 'DOCKSIDE_BACKUP_VOLUME' }),
    exclude: listFlag({ description: 'Leave out paths matching this glob (like tar --exclude: "*.log", "cache/", "tmp/**"); repeatable.', env: 'DOCKSIDE_BACKUP_EXCLUDE' }),
    compress: Flags.string({ description: 'Compression.', options: ['zstd', 'gzip', 'none'], default: 'zstd', env: 'DOCKSIDE_BACKUP_COMPRESS' }),
    level: Flags.integer({ description: 'Compression level (zstd 1-19, default 3; gzip 1-9, default 6).', min: 1, max: 19, env: 'DOCKSIDE_BACKUP_LEVEL' }),
    pause: Flags.boolean({ description: 'Pause the container while its volumes are read.', default: false, exclusive: ['stop'], env: 'DOCKSIDE_BACKUP_PAUSE' }),
    stop: Flags.boolean({
      description: 'Stop the container while its volumes are read; it is started again as soon as reading ends.',
      default: false,
      exclusive: ['pause'],
      env: 'DOCKSIDE_BACKUP_STOP',
    }),
    exec: Flags.string({ description: 'Run this shell command in the container first (e.g. a flush); its failure fails the backup.', env: 'DOCKSIDE_BACKUP_EXEC' }),
    dump: Flags.string({ description: 'Run this shell command in the container and store its stdout in the backup (needs --dump-as).', env: 'DOCKSIDE_BACKUP_DUMP' }),
    'dump-as': Flags.string({ description: 'File name for the --dump output, e.g. all.sql.', env: 'DOCKSIDE_BACKUP_DUMP_AS' }),
    strict: Flags.boolean({
      description: 'Fail (and keep nothing) when a file changes, is replaced or is deleted while it is read, instead of warning as GNU tar does ("file changed as we read it").',
      default: false,
      env: 'DOCKSIDE_BACKUP_STRICT',
    }),
    'dump-only': Flags.boolean({ description: 'With --dump: store only the dump, not the volumes.', default: false, env: 'DOCKSIDE_BACKUP_DUMP_ONLY' }),
    'password-file': passwordFileFlag,
    host: Flags.string({
      description: "With a repository: the snapshot's hostname (default: the container's name; the parent is the last snapshot with it).",
      env: 'DOCKSIDE_BACKUP_HOST',
    }),
    ...retentionFlags,
    ...s3Flags,
    network: networkFlag,
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Backup);
    const { runBackup, levelRange } = await import('@dockside/backup');
    const { UsageError, formatBytes, formatDuration } = await import('@dockside/common');
    const compression = flags.compress as 'zstd' | 'gzip' | 'none';
    const range = levelRange(compression);
    if (flags.level !== undefined && (!range || flags.level < range[0] || flags.level > range[1])) {
      throw new UsageError(range ? `--level for ${compression} is ${range[0]}-${range[1]}` : '--level does not apply to --compress none');
    }
    const result = await runBackup(
      {
        engine: await this.engine(),
        version: this.config.version,
        session: this.session,
        image: imageRef(ROLE.backup, this.config.version),
        env: process.env,
        progress: process.stderr,
      },
      {
        ...destinationOptions(flags.to, flags),
        ...retentionOptions(flags),
        container: args.container,
        volumes: flags.volume ?? [],
        excludes: flags.exclude ?? [],
        ...(flags.strict ? { strict: true } : {}),
        compression,
        ...(flags.level !== undefined ? { level: flags.level } : {}),
        pause: flags.pause,
        stop: flags.stop,
        ...(flags.exec ? { exec: flags.exec } : {}),
        ...(flags.dump ? { dump: flags.dump } : {}),
        ...(flags['dump-as'] ? { dumpAs: flags['dump-as'] } : {}),
        dumpOnly: flags['dump-only'],
        ...(flags['password-file'] ? { passwordFile: flags['password-file'] } : {}),
        ...(flags.host ? { host: flags.host } : {}),
      },
    );
    if ('snapshot' in result) {
      const s = result.snapshot;
      if (flags.json) return this.printJson(s);
      this.log(
        `snapshot ${s.id.slice(0, 8)} saved${s.parent ? ` (parent ${s.parent.slice(0, 8)})` : ''}: ${s.files} files (${s.unchangedFiles} unchanged), ${formatBytes(s.readBytes)} read, ${formatBytes(s.newBytes)} new, ${formatBytes(s.storedBytes)} stored`,
      );
      return;
    }
    const m = result.manifest;
    // Retention that failed after the backup committed: the backup stays; say so, exit 1.
    if (result.pruneError) {
      process.stderr.write(
        `dockside: backup ${m.id} is complete, but retention failed: ${result.pruneError.message}\n  hint: ${result.pruneError.hint ?? 'fix it, then run `dockside backup prune`'}\n`,
      );
      process.exitCode = 1;
    }
    if (flags.json) return this.printJson(result.prune ? { ...m, prune: result.prune } : result.pruneError ? { ...m, pruneError: result.pruneError } : m);
    const secs = Date.parse(m.finishedAt) - Date.parse(m.startedAt) || 1;
    this.log(
      `backup ${m.id} complete: ${m.archives.length} archive(s), ${m.totals.files} files, ${formatBytes(m.totals.contentBytes)} read, ${formatBytes(m.totals.storedBytes)} stored (${m.compression.algorithm}) in ${formatDuration(secs)}`,
    );
    for (const a of m.archives) this.log(`  ${a.file}  ${a.kind === 'dump' ? 'dump' : a.destination}  ${formatBytes(a.bytes)}  sha256:${a.sha256.slice(0, 16)}`);
    if (result.prune) {
      const p = result.prune;
      if (p.removed.length) this.log(`retention removed ${p.removed.length} backup(s): ${p.removed.join(', ')}`);
      if (p.leftovers.length) this.log(`removed ${p.leftovers.length} incomplete backup(s): ${p.leftovers.join(', ')}`);
    }
  }
}
