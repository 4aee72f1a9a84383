import { Flags } from '@oclif/core';
import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';
import { destinationOptions, networkFlag, s3Flags } from '../../lib/backup-flags.js';
import { imageRef, ROLE } from '../../lib/images-catalog.js';
import { passwordFileFlag } from '../../lib/repo-flags.js';

export default class BackupLs extends DocksideCommand {
  static override summary = 'List the complete backups in a directory or S3 prefix.';
  static override description =
    "Reads each backup's manifest and lists the complete ones, newest first. Backups without a manifest (in progress, killed or failed) are never listed as complete; their count is shown below the table. From a repository, lists its snapshots (restic's own too), oldest first. Runs on the host: no sidecar.";
  static override examples = ['<%= config.bin %> <%= command.id %> --from /var/backups/app', '<%= config.bin %> <%= command.id %> --from s3://backups/app --container app --json'];
  static override flags = {
    from: Flags.string({ description: 'Where backups live: /abs/dir, file:///abs/dir or s3://bucket/prefix.', env: 'DOCKSIDE_BACKUP_FROM', required: true }),
    container: Flags.string({ description: 'Only backups of this container (by name).', env: 'DOCKSIDE_BACKUP_CONTAINER' }),
    'password-file': passwordFileFlag,
    ...s3Flags,
    // Accepted like everywhere else a destination is named (ls runs on the host: no sidecar).
    network: networkFlag,
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(BackupLs);
    const { listBackups, listRepositorySnapshots, repositoryPath } = await import('@dockside/backup');
    const { renderTable, formatBytes, formatDuration } = await import('@dockside/common');
    const repo = await repositoryPath(flags.from, flags['password-file']);
    if (repo) {
      const rows = await listRepositorySnapshots(repo, flags['password-file'] ? { passwordFile: flags['password-file'] } : {}, process.env, flags.container);
      if (flags.json) return this.printJson({ snapshots: rows });
      if (rows.length === 0) return this.log('no snapshots');
      return this.log(
        renderTable(
          ['ID', 'TIME', 'HOST', 'CONTAINER', 'PATHS', 'TAGS'],
          rows.map((r) => [r.id.slice(0, 8), r.time.replace(/\.\d+/, ''), r.hostname, r.container, r.paths.join(','), r.tags.join(',')]),
        ),
      );
    }
    const cat = await listBackups(
      { engine: await this.engine(), version: this.config.version, session: this.session, image: imageRef(ROLE.backup, this.config.version), env: process.env },
      { ...destinationOptions(flags.from, flags), ...(flags.container ? { container: flags.container } : {}) },
    );
    if (flags.json) return this.printJson({ backups: cat.complete, incomplete: cat.incomplete, unreadable: cat.unreadable });
    if (cat.complete.length === 0) this.log('no complete backups');
    else {
      this.log(
        renderTable(
          ['ID', 'CONTAINER', 'STARTED', 'TOOK', 'ARCHIVES', 'FILES', 'READ', 'STORED', 'COMPRESSION'],
          cat.complete.map((m) => [
            m.id,
            m.container.name,
            m.startedAt.replace(/\.\d+Z$/, 'Z'),
            formatDuration(Date.parse(m.finishedAt) - Date.parse(m.startedAt)),
            String(m.archives.length),
            String(m.totals.files),
            formatBytes(m.totals.contentBytes),
            formatBytes(m.totals.storedBytes),
            m.compression.algorithm + (m.compression.level ? `:${m.compression.level}` : ''),
          ]),
          [4, 5, 6, 7],
        ),
      );
    }
    for (const u of cat.unreadable) process.stderr.write(`warning: backup ${u.id} skipped: ${u.message}\n`);
    if (cat.incomplete.length) this.log(`(${cat.incomplete.length} incomplete backup(s) not listed; the next backup or \`dockside backup prune\` removes them)`);
  }
}
