import { Flags } from '@oclif/core';
import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';
import { schedulerNameFlag } from '../../lib/cron-flags.js';
import { listFlag } from '../../lib/flags.js';
import { imageRef } from '../../lib/images-catalog.js';

export default class CronStart extends DocksideCommand {
  static override summary = 'Start the scheduler sidecar: jobs declared by labels (and a YAML file) run on their schedule.';
  static override description = `Starts a long-running scheduler (restarted with the engine unless stopped), one per --name (default "default"): a second cron start of a running name is refused (exit 2), another name runs side by side. It finds jobs in the labels of running containers, picked up without a restart (container events, plus a full reconcile every minute):

  dockside.cron.<job>.schedule   "30 2 * * *", 6 fields with seconds first, or @daily/@hourly/...; a * in the seconds field is refused
  dockside.cron.<job>.exec       a shell command run in that container
  dockside.cron.<job>.dockside   a dockside command applied to that container: backup --to /srv/backups --keep-daily 7
  dockside.cron.<job>.run/.image a one-off container from the image (removed after)
  options: .scheduler (the --name of the scheduler that runs the job; default "default"), .timeout (the process really ends), .overlap forbid|allow|replace (default forbid), .timezone (IANA),
           .deadline (catch up at most one missed run this young after downtime), .retries (with backoff), .ping (healthchecks.io-style URL)

Jobs are named <container>/<job>. --config adds jobs from a YAML file, keyed the same way:

  jobs:
    db/nightly:
      schedule: "30 2 * * *"
      timezone: Europe/Berlin
      dockside: backup --to /srv/backups --keep-daily 7

Its state (last slot handled per job, history) lives on its own volume, dockside-cron-state for "default" and dockside-cron-state-<name> otherwise: no slot runs twice, a run cut short by a kill is recorded as interrupted and its process ended on restart. Backup destinations must lie under a --backup-dir (mounted at the same path in the scheduler).`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> --backup-dir /srv/backups',
    '<%= config.bin %> <%= command.id %> --config jobs.yaml --backup-dir /srv/backups',
    '<%= config.bin %> <%= command.id %> --name nightly --backup-dir /srv/nightly   # runs the jobs labelled dockside.cron.<job>.scheduler=nightly',
  ];
  static override flags = {
    config: Flags.string({ description: 'YAML file with more jobs (jobs: {<container>/<job>: {schedule, exec|dockside|run, ...}}).', env: 'DOCKSIDE_CRON_CONFIG' }),
    'backup-dir': listFlag({
      description: 'Host directory backup jobs may write under (repeatable; mounted at the same path).',
      commaSeparatedArguments: true,
      env: 'DOCKSIDE_CRON_BACKUP_DIR',
    }),
    name: schedulerNameFlag,
    'repo-password-file': Flags.string({
      description: 'Password file for backup jobs to repositories (restic format); copied into the scheduler as a 0400 file, never its env or labels.',
      env: 'DOCKSIDE_CRON_REPO_PASSWORD_FILE',
    }),
    'state-volume': Flags.string({
      description: "Named volume holding the scheduler's journal and job list (default: dockside-cron-state, or dockside-cron-state-<name>).",
      env: 'DOCKSIDE_CRON_STATE_VOLUME',
    }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(CronStart);
    const { startCron, readConfig } = await import('@dockside/cron');
    const config = flags.config ? readConfig(flags.config) : undefined;
    const { readPasswordFile } = await import('@dockside/repository');
    const repoPassword = flags['repo-password-file'] ? readPasswordFile(flags['repo-password-file'], '--repo-password-file') : undefined;
    const info = await startCron(await this.engine(), {
      image: imageRef('cron', this.config.version),
      backupImage: imageRef('backup', this.config.version),
      version: this.config.version,
      session: this.session,
      ...(config ? { config } : {}),
      backupDirs: flags['backup-dir'] ?? [],
      name: flags.name,
      ...(repoPassword ? { repoPassword } : {}),
      ...(flags['state-volume'] ? { stateVolume: flags['state-volume'] } : {}),
    });
    if (flags.json) return this.printJson(info);
    this.log(
      `scheduler "${info.name}" (${info.container}) running with ${info.jobs} job(s), state on volume ${info.volume}; see \`dockside cron ls${info.name === 'default' ? '' : ` --name ${info.name}`}\``,
    );
  }
}
