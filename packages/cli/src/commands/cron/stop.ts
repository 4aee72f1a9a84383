import { Flags } from '@oclif/core';
import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';
import { schedulerNameFlag } from '../../lib/cron-flags.js';

export default class CronStop extends DocksideCommand {
  static override summary = 'Stop and remove a scheduler sidecar (its history stays on its volume).';
  static override description =
    "Sends SIGTERM (runs in progress are ended and recorded as interrupted), then removes the scheduler named --name (or every scheduler with --all). Its state volume (dockside-cron-state, or dockside-cron-state-<name>) keeps the history and each job's last handled slot for the next `dockside cron start` of that name.";
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --name nightly', '<%= config.bin %> <%= command.id %> --all'];
  static override flags = {
    name: schedulerNameFlag,
    all: Flags.boolean({ description: 'Stop every scheduler on this engine, whatever its name.', default: false, exclusive: ['name'], env: 'DOCKSIDE_CRON_ALL' }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(CronStop);
    const { stopCron } = await import('@dockside/cron');
    const removed = await stopCron(await this.engine(), flags.all ? undefined : flags.name);
    if (flags.json) return this.printJson(removed.map((c) => ({ id: c.id, name: c.name, container: c.container })));
    const which = flags.all ? 'no scheduler was running' : `no scheduler named "${flags.name}" was running`;
    this.log(removed.length ? `stopped ${removed.map((c) => `"${c.name}" (${c.container})`).join(', ')}` : which);
  }
}
