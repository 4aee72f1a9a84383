import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';
import { schedulerNameFlag } from '../../lib/cron-flags.js';

export default class CronLs extends DocksideCommand {
  static override summary = 'The scheduled jobs: where each was declared, its next three runs, its last result; invalid jobs with the reason.';
  static override description =
    'Asks the running scheduler. An invalid job (bad expression, unknown time zone, unknown option...) is listed with the option at fault; the other jobs keep running.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json', '<%= config.bin %> <%= command.id %> --name nightly'];
  static override flags = { name: schedulerNameFlag, json: jsonFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(CronLs);
    const { lsCron } = await import('@dockside/cron');
    const { renderTable } = await import('@dockside/common');
    const r = await lsCron(await this.engine(), flags.name);
    if (flags.json) return this.printJson(r.jobs);
    if (r.jobs.length === 0) return this.log('no jobs (declare them with dockside.cron.<job>.* labels, or cron start --config)');
    const rows = r.jobs.map((j) =>
      j.valid
        ? [
            j.id,
            `${j.schedule}${j.timezone !== 'UTC' ? ` ${j.timezone}` : ''}`,
            j.action ?? '',
            `${j.next.map((t) => t.replace('T', ' ').replace('.000Z', 'Z')).join(', ')}${j.skipping ? ` (skipped: ${j.skipping})` : ''}`,
            j.last ? `${j.last.status}${j.last.exitCode !== undefined && j.last.exitCode !== null ? ` (${j.last.exitCode})` : ''}` : '-',
            j.declared,
          ]
        : [j.id, 'INVALID', `${j.field}: ${j.reason}`, '', '', j.declared],
    );
    this.log(renderTable(['JOB', 'SCHEDULE', 'ACTION', 'NEXT RUNS', 'LAST', 'DECLARED'], rows));
  }
}
