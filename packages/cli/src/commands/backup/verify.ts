import { Flags } from '@oclif/core';
import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';
import { destinationOptions, networkFlag, s3Flags } from '../../lib/backup-flags.js';
import { imageRef, ROLE } from '../../lib/images-catalog.js';
import { passwordFileFlag } from '../../lib/repo-flags.js';

export default class BackupVerify extends DocksideCommand {
  static override summary = "Check a backup's archives against its manifest.";
  static override description =
    "Reads every archive of the backup in the backup sidecar, checks its size and sha256 against the manifest, decompresses it and reads every tar entry, and compares the entry counts. Exits 1 when any archive fails. --quick checks sizes and checksums only. A repository is read whole, as `restic check --read-data` does, and each blob's decompressed length is checked too; damage is reported with the files it affects.";
  static override examples = [
    '<%= config.bin %> <%= command.id %> --from /var/backups/app --id latest',
    '<%= config.bin %> <%= command.id %> --from s3://backups/app --id app-20261121T233800Z --json',
  ];
  static override flags = {
    from: Flags.string({ description: 'Where backups live: /abs/dir, file:///abs/dir or s3://bucket/prefix.', env: 'DOCKSIDE_BACKUP_FROM', required: true }),
    id: Flags.string({ description: 'Backup id, or "latest" (of --container if given, else of all).', default: 'latest', env: 'DOCKSIDE_BACKUP_ID' }),
    container: Flags.string({ description: 'With --id latest: the newest backup of this container.', env: 'DOCKSIDE_BACKUP_CONTAINER' }),
    quick: Flags.boolean({ description: 'Check sizes and sha256 only; do not decompress.', default: false, env: 'DOCKSIDE_VERIFY_QUICK' }),
    'password-file': passwordFileFlag,
    ...s3Flags,
    network: networkFlag,
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(BackupVerify);
    const { verifyBackup, verifyRepository, repositoryPath } = await import('@dockside/backup');
    const repo = await repositoryPath(flags.from, flags['password-file']);
    if (repo) {
      const v = await verifyRepository(repo, flags['password-file'] ? { passwordFile: flags['password-file'] } : {}, process.env);
      if (flags.json) this.printJson(v);
      else {
        for (const e of v.errors) this.log(`error: ${e}`);
        for (const a of v.affected) this.log(`affected: ${a}`);
        this.log(
          `${v.ok ? 'repository verified' : 'repository FAILED verification'}: ${v.packs} packs, ${v.blobs} blobs, ${v.snapshots} snapshots read${v.ok ? '' : `; ${v.errors.length} error(s), ${v.affectedCount} file(s) affected`}`,
        );
      }
      if (!v.ok) process.exitCode = 1;
      return;
    }
    const r = await verifyBackup(
      {
        engine: await this.engine(),
        version: this.config.version,
        session: this.session,
        image: imageRef(ROLE.backup, this.config.version),
        env: process.env,
        progress: process.stderr,
      },
      { ...destinationOptions(flags.from, flags), id: flags.id, quick: flags.quick, ...(flags.container ? { container: flags.container } : {}) },
    );
    if (flags.json) this.printJson(r);
    else {
      for (const a of r.archives) this.log(`${a.ok ? 'ok  ' : 'FAIL'}  ${a.file}${a.message ? `: ${a.message}` : ''}`);
      this.log(r.ok ? `backup ${r.id} verified` : `backup ${r.id} FAILED verification`);
    }
    if (!r.ok) process.exitCode = 1;
  }
}
