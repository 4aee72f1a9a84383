import { Args, Flags } from '@oclif/core';
import { DocksideCommand, jsonFlag } from '../lib/base-command.js';
import { listFlag } from '../lib/flags.js';
import { destinationOptions, networkFlag, s3Flags } from '../lib/backup-flags.js';
import { imageRef, ROLE } from '../lib/images-catalog.js';
import { passwordFileFlag } from '../lib/repo-flags.js';

export default class Restore extends DocksideCommand {
  static override summary = "Restore a container's volumes from a backup.";
  static override description = `Verifies the backup's archives (size and sha256) before anything changes, extracts each into a staging folder on its volume, checks the sha256 again, and only then swaps the restored tree in: a corrupt or truncated archive leaves the volume exactly as it was. Volumes are matched by mount path (then by volume name). Owners, modes (setuid/setgid/sticky), mtimes, symlinks, hard links, FIFOs and devices come back as they were; files the backup does not hold are removed, except what its --exclude left out and nested mount points. --into-volume refuses a volume a running container mounts unless --force.

From a repository (a directory holding restic's \`config\`): --id names a snapshot (dockside's or restic's own; default the latest of this container), each of its paths goes into the mount at that path; every blob's MAC, hash and length is checked while staging and the volumes are swapped only when all matched.

The container is stopped during the restore and started again after, unless --no-stop. --into-volume restores into a new named volume instead, to test a backup without touching production. --load pipes a --dump file into a command in the (running) container, e.g. psql.`;

  static override examples = [
    { description: 'Restore the latest backup of "app":', command: '<%= config.bin %> <%= command.id %> app --from /var/backups/app --yes' },
    {
      description: 'Test a backup in a new volume:',
      command: '<%= config.bin %> <%= command.id %> app --from s3://backups/app --id app-20261121T233800Z --volume app-data --into-volume app-data-test',
    },
    {
      description: 'Load a PostgreSQL dump into a fresh server:',
      command: '<%= config.bin %> <%= command.id %> db2 --from /var/backups/db --id db-20261121T233800Z --load "psql -U postgres" --yes',
    },
  ];

  static override args = { container: Args.string({ description: 'Container to restore into (name or id).', required: true }) };

  static override flags = {
    from: Flags.string({ description: 'Where backups live: /abs/dir, file:///abs/dir or s3://bucket/prefix.', env: 'DOCKSIDE_RESTORE_FROM', required: true }),
    id: Flags.string({ description: 'Backup id, or "latest" (the newest backup of this container).', default: 'latest', env: 'DOCKSIDE_RESTORE_ID' }),
    volume: listFlag({ description: 'Restore only this volume (name or mount path), or with --load this dump; repeatable.', env: 'DOCKSIDE_RESTORE_VOLUME' }),
    'into-volume': Flags.string({ description: "Restore into this new named volume instead of the container's own.", env: 'DOCKSIDE_RESTORE_INTO_VOLUME', exclusive: ['load'] }),
    load: Flags.string({ description: 'Pipe the backup\'s dump into this shell command in the container (e.g. "psql -U postgres").', env: 'DOCKSIDE_RESTORE_LOAD' }),
    'no-stop': Flags.boolean({ description: 'Do not stop the container during the restore.', default: false, env: 'DOCKSIDE_RESTORE_NO_STOP' }),
    force: Flags.boolean({ description: 'With --into-volume: replace a volume even while a running container mounts it.', default: false, env: 'DOCKSIDE_RESTORE_FORCE' }),
    yes: Flags.boolean({ char: 'y', description: 'Do not ask for confirmation.', default: false, env: 'DOCKSIDE_YES' }),
    'password-file': passwordFileFlag,
    host: Flags.string({ description: "With a repository and --id latest: the snapshot hostname to look for (default: the container's name).", env: 'DOCKSIDE_RESTORE_HOST' }),
    ...s3Flags,
    network: networkFlag,
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Restore);
    const { runRestore } = await import('@dockside/backup');
    const confirm = process.stdin.isTTY && process.stderr.isTTY ? (q: string) => ask(q) : undefined;
    const r = await runRestore(
      {
        engine: await this.engine(),
        version: this.config.version,
        session: this.session,
        image: imageRef(ROLE.backup, this.config.version),
        env: process.env,
        progress: process.stderr,
      },
      {
        ...destinationOptions(flags.from, flags),
        container: args.container,
        id: flags.id,
        volumes: flags.volume ?? [],
        ...(flags['into-volume'] ? { intoVolume: flags['into-volume'] } : {}),
        ...(flags.load ? { load: flags.load } : {}),
        noStop: flags['no-stop'],
        yes: flags.yes,
        force: flags.force,
        ...(confirm ? { confirm } : {}),
        ...(flags['password-file'] ? { passwordFile: flags['password-file'] } : {}),
        ...(flags.host ? { host: flags.host } : {}),
      },
    );
    if (flags.json) return this.printJson(r);
    for (const x of r.restored) this.log(`restored ${x.file} -> ${x.into}`);
    this.log(`restore of backup ${r.id} into "${r.container}" complete${r.stopped ? ' (container stopped and started again)' : ''}`);
  }
}

async function ask(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
