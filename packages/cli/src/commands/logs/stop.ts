import { Flags } from '@oclif/core';
import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';

export default class LogsStop extends DocksideCommand {
  static override summary = 'Stop and remove a log shipper (its positions are kept for the next `logs ship`).';
  static override description =
    'Sends the shipper SIGTERM (it delivers what it has queued), then removes it. Its volume dockside-logship-<name> keeps the positions, so `dockside logs ship` with the same --name resumes where it stopped; --forget removes that volume too. Stopping when none runs is not an error.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --name shop --forget'];
  static override flags = {
    name: Flags.string({ description: 'Shipper to stop.', default: 'default', env: 'DOCKSIDE_LOGS_NAME' }),
    forget: Flags.boolean({ description: 'Also remove its positions (the next ship starts from the beginning of each log).', default: false, env: 'DOCKSIDE_LOGS_FORGET' }),
    swarm: Flags.boolean({
      description: "Remove the fleet chore of this --name: every node's agent stops and removes its shippers (DOCKER_HOST: a manager).",
      default: false,
      env: 'DOCKSIDE_SWARM',
    }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(LogsStop);
    if (flags.swarm) {
      const { dropChore } = await import('@dockside/fleet');
      const { fleetImages } = await import('../../lib/fleet-images.js');
      const dropped = await dropChore(await this.engine(), fleetImages(this.config.version), flags.name);
      if (flags.json) return this.printJson({ name: flags.name, removed: dropped });
      return this.log(dropped ? `fleet chore "${flags.name}" removed; the agents remove its shippers` : `no fleet chore named "${flags.name}"`);
    }
    const { stopShipper } = await import('@dockside/logship');
    const removed = await stopShipper(await this.engine(), flags.name, flags.forget);
    if (flags.json) return this.printJson(removed);
    this.log(removed.length ? `removed log shipper ${removed.map((c) => `"${c.name}" (${c.container})`).join(', ')}` : `no log shipper named "${flags.name}"`);
  }
}
