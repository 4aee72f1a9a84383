import { Flags } from '@oclif/core';
import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';
import { schedulerNameFlag } from '../../lib/cron-flags.js';

export default class CronHistory extends DocksideCommand {
  static override summary = 'Runs of the scheduled jobs: scheduled time, start, end, status, exit code, output tail.';
  static override description =
    'Statuses: succeeded, failed, timeout, skipped (overlap=forbid found a run still going), missed (slots that came due while the scheduler was down, beyond the deadline), interrupted (the scheduler died or was stopped during the run; its process was ended), running.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --job web/backup --json'];
  static override flags = {
    job: Flags.string({ description: 'Only this job (<container>/<job>).', env: 'DOCKSIDE_CRON_JOB' }),
    limit: Flags.integer({ description: 'The newest N entries.', default: 50, min: 1, max: 10_000, env: 'DOCKSIDE_CRON_LIMIT' }),
    name: schedulerNameFlag,
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(CronHistory);
    const { historyCron } = await import('@dockside/cron');
    const { renderTable } = await import('@dockside/common');
    const runs = await historyCron(await this.engine(), { name: flags.name, ...(flags.job ? { job: flags.job } : {}), limit: flags.limit });
    if (flags.json) return this.printJson(runs);
    if (runs.length === 0) return this.log('no runs yet');
    const t = (s: string | null) => (s ? s.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');
    const rows = runs.map((r) => [
      r.job,
      t(r.scheduled) + (r.trigger && r.trigger !== 'schedule' ? ` (${r.trigger})` : ''),
      t(r.start),
      t(r.end),
      r.status + (r.missed ? ` x${r.missed}` : ''),
      r.exitCode === undefined || r.exitCode === null ? '-' : String(r.exitCode),
      (r.reason ?? r.tail?.trim().split('\n').pop() ?? '').slice(0, 80),
    ]);
    this.log(renderTable(['JOB', 'SCHEDULED', 'START', 'END', 'STATUS', 'EXIT', 'OUTPUT / REASON'], rows));
  }
}
