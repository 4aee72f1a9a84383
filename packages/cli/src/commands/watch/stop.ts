import { Args, Flags } from '@oclif/core';
import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';

export default class WatchStop extends DocksideCommand {
  static override summary = "Remove a container's watches.";
  static override description = 'Stops each watch and removes it with its api-proxy. Stopping when none runs is not an error.';
  static override examples = ['<%= config.bin %> <%= command.id %> web', '<%= config.bin %> <%= command.id %> --all'];
  static override args = { container: Args.string({ description: 'The container (name or id).' }) };
  static override flags = {
    all: Flags.boolean({ description: 'Every watch.', default: false, env: 'DOCKSIDE_WATCH_ALL' }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(WatchStop);
    const { stopAmbassadors } = await import('@dockside/discovery');
    const removed = await stopAmbassadors(await this.engine(), { kind: 'watch', ...(args.container ? { target: args.container } : {}), all: flags.all });
    if (flags.json) return this.printJson(removed);
    this.log(removed.length ? `removed ${removed.map((w) => `${w.target} "${w.upstream}"`).join(', ')}` : 'no watch matched');
  }
}
