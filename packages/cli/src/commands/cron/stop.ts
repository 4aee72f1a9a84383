import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';

export default class CronStop extends DocksideCommand {
  static override summary = 'Stop and remove the scheduler sidecar (its history stays on its volume).';
  static override description = 'Sends SIGTERM (runs in progress are ended and recorded as interrupted), then removes the scheduler. The volume dockside-cron-state keeps the history and each job\'s last handled slot for the next `dockside cron start`.';
  static override examples = ['<%= config.bin %> <%= command.id %>'];
  static override flags = { json: jsonFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(CronStop);
    const { stopCron } = await import('@dockside/cron');
    const removed = await stopCron(await this.engine());
    if (flags.json) return this.printJson(removed.map((c) => ({ id: c.id, name: c.name })));
    this.log(removed.length ? `stopped ${removed.map((c) => c.name).join(', ')}` : 'no scheduler was running');
  }
}
