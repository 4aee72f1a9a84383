import { Flags } from '@oclif/core';
import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';
import { schedulerNameFlag } from '../../lib/cron-flags.js';

export default class CronValidate extends DocksideCommand {
  static override summary = 'Check every job the labels of running containers (and a YAML file) declare; exit 1 on any invalid job.';
  static override description =
    'Needs no scheduler. Checks the label jobs of the scheduler --name names (a job\'s dockside.cron.<job>.scheduler label, default "default"). Each invalid job is shown with the option at fault (schedule field, time zone, action...).';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --config jobs.yaml --json'];
  static override flags = {
    config: Flags.string({ description: 'YAML jobs file to check too.', env: 'DOCKSIDE_CRON_CONFIG' }),
    name: schedulerNameFlag,
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(CronValidate);
    const { validateCron, readConfig } = await import('@dockside/cron');
    const config = flags.config ? readConfig(flags.config) : undefined;
    const entries = await validateCron(await this.engine(), config, flags.name);
    const bad = entries.filter((e) => !e.valid);
    if (flags.json) {
      this.printJson(
        entries.map((e) =>
          e.valid ? { id: e.id, valid: true, schedule: e.schedule, timezone: e.timezone, action: e.action.kind } : { id: e.id, valid: false, field: e.field, reason: e.reason },
        ),
      );
    } else {
      for (const e of entries) this.log(e.valid ? `ok       ${e.id}  ${e.schedule}` : `INVALID  ${e.id}  ${e.field}: ${e.reason}`);
      this.log(`${entries.length - bad.length} valid, ${bad.length} invalid`);
    }
    if (bad.length) process.exitCode = 1;
  }
}
