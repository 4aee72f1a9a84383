import { Args, Flags } from '@oclif/core';
import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';

export default class AmbassadorStop extends DocksideCommand {
  static override summary = "Remove a container's ambassadors.";
  static override description = 'Stops each ambassador (open connections are closed) and removes it with its api-proxy. Stopping when none runs is not an error.';
  static override examples = ['<%= config.bin %> <%= command.id %> web', '<%= config.bin %> <%= command.id %> --all'];
  static override args = { container: Args.string({ description: 'The container (name or id).' }) };
  static override flags = {
    all: Flags.boolean({ description: 'Every ambassador.', default: false, env: 'DOCKSIDE_AMBASSADOR_ALL' }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(AmbassadorStop);
    const { stopAmbassadors } = await import('@dockside/discovery');
    const removed = await stopAmbassadors(await this.engine(), { ...(args.container ? { target: args.container } : {}), all: flags.all });
    if (flags.json) return this.printJson(removed);
    this.log(removed.length ? `removed ${removed.map((a) => `${a.target} ${a.listen} -> "${a.upstream}"`).join(', ')}` : 'no ambassador matched');
  }
}
