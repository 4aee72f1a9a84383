import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { DocksideCommand, jsonFlag } from '../lib/base-command.js';

export default class Rm extends DocksideCommand {
  static override summary = 'Remove dockside sidecars (stopping them first).';
  static override description =
    'Removes the named sidecars, or every dockside container with --all. Only containers labelled dockside=true are touched: naming any other container is an error, and nothing is removed.';
  static override strict = false;
  static override args = { container: Args.string({ description: 'Sidecar name or id (several allowed).' }) };
  static override examples = [
    '<%= config.bin %> <%= command.id %> dockside-netdebug-1a2b',
    '<%= config.bin %> <%= command.id %> --all',
    '<%= config.bin %> <%= command.id %> --role metrics',
  ];
  static override flags = {
    all: Flags.boolean({ description: 'Remove every dockside container.', default: false, env: 'DOCKSIDE_RM_ALL' }),
    role: Flags.string({ description: 'Remove every dockside container of this role.', env: 'DOCKSIDE_RM_ROLE' }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Rm);
    const refs = argv as string[];
    const { UsageError } = await import('@dockside/common');
    if (!flags.all && !flags.role && refs.length === 0) {
      throw new UsageError('name the sidecars to remove, or pass --all', { hint: '`dockside ps` lists them' });
    }
    if ((flags.all || flags.role) && refs.length > 0) throw new UsageError('give names, or --all/--role, not both');
    const { removeDocksideContainers, LABEL } = await import('@dockside/engine');
    const removed = await removeDocksideContainers(await this.engine(), {
      refs,
      all: flags.all,
      ...(flags.role ? { labels: { [LABEL.role]: flags.role } } : {}),
    });
    if (flags.json) return this.printJson(removed.map((c) => ({ id: c.id, name: c.name, role: c.role })));
    for (const c of removed) this.log(`removed ${c.name} (${c.role})`);
    if (removed.length === 0) this.log('nothing to remove');
  }
}
