import { Flags } from '@oclif/core';
import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';
import { destinationOptions, networkFlag, retentionFlags, retentionOptions, s3Flags } from '../../lib/backup-flags.js';
import { imageRef, ROLE } from '../../lib/images-catalog.js';
import { passwordFileFlag } from '../../lib/repo-flags.js';

export default class BackupPrune extends DocksideCommand {
  static override summary = 'Remove old backups by retention policy.';
  static override description =
    "Applies --keep-last, --keep-daily and --keep-weekly to the complete backups of each container (a backup kept by any rule stays; the newest backup of a container always stays) and removes the rest, plus the leftovers of incomplete backups that are not running. --dry-run shows what would go. In a repository: snapshots are grouped by container and paths, those no rule keeps are forgotten, and packs no snapshot needs are removed or repacked (under an exclusive lock, as restic's prune).";
  static override examples = [
    '<%= config.bin %> <%= command.id %> --from /var/backups/app --keep-last 3 --dry-run',
    '<%= config.bin %> <%= command.id %> --from s3://backups --keep-daily 7 --keep-weekly 4',
  ];
  static override flags = {
    from: Flags.string({ description: 'Where backups live: /abs/dir, file:///abs/dir or s3://bucket/prefix.', env: 'DOCKSIDE_BACKUP_FROM', required: true }),
    container: Flags.string({ description: 'Only backups of this container (by name).', env: 'DOCKSIDE_BACKUP_CONTAINER' }),
    ...retentionFlags,
    'dry-run': Flags.boolean({ description: 'Show what would be removed; remove nothing.', default: false, env: 'DOCKSIDE_PRUNE_DRY_RUN' }),
    'password-file': passwordFileFlag,
    ...s3Flags,
    // Accepted like everywhere else a destination is named (prune runs on the host: no sidecar).
    network: networkFlag,
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(BackupPrune);
    const { pruneBackups, pruneRepositorySnapshots, repositoryPath } = await import('@dockside/backup');
    const { renderTable, formatBytes } = await import('@dockside/common');
    const repo = await repositoryPath(flags.from, flags['password-file']);
    if (repo) {
      const p = await pruneRepositorySnapshots(repo, flags['password-file'] ? { passwordFile: flags['password-file'] } : {}, process.env, retentionOptions(flags), {
        dryRun: flags['dry-run'],
        ...(flags.container ? { container: flags.container } : {}),
      });
      if (flags.json) return this.printJson(p);
      if (p.decisions.length)
        this.log(
          renderTable(
            ['ID', 'CONTAINER', 'TIME', 'ACTION', 'WHY'],
            p.decisions.map((d) => [
              d.id.slice(0, 8),
              d.container,
              d.startedAt.replace(/\.\d+Z$/, 'Z'),
              d.keep ? 'keep' : p.dryRun ? 'would forget' : 'forgotten',
              d.reasons.join(', '),
            ]),
          ),
        );
      const st = p.stats;
      return this.log(
        `${p.dryRun ? 'would remove' : 'removed'} ${st.packsRemoved} pack(s) (${st.packsRepacked} repacked into ${st.packsWritten}), ${st.blobsRemoved} blob(s), ${formatBytes(st.bytesFreed)} freed`,
      );
    }
    const r = await pruneBackups(
      { engine: await this.engine(), version: this.config.version, session: this.session, image: imageRef(ROLE.backup, this.config.version), env: process.env },
      { ...destinationOptions(flags.from, flags), ...retentionOptions(flags), dryRun: flags['dry-run'], ...(flags.container ? { container: flags.container } : {}) },
    );
    if (flags.json) return this.printJson(r);
    if (r.decisions.length) {
      this.log(
        renderTable(
          ['ID', 'CONTAINER', 'STARTED', 'ACTION', 'WHY'],
          r.decisions.map((d) => [d.id, d.container, d.startedAt.replace(/\.\d+Z$/, 'Z'), d.keep ? 'keep' : r.dryRun ? 'would remove' : 'removed', d.reasons.join(', ')]),
        ),
      );
    } else this.log('no complete backups');
    if (r.leftovers.length) this.log(`${r.dryRun ? 'would remove' : 'removed'} ${r.leftovers.length} incomplete backup(s): ${r.leftovers.join(', ')}`);
  }
}
