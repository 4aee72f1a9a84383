import * as Flags from '@oclif/core/flags';
import { DocksideCommand, jsonFlag } from '../lib/base-command.js';

export default class Ps extends DocksideCommand {
  static override summary = 'List the sidecars dockside has running (or left behind).';
  static override description =
    'Lists every container labelled dockside=true, with its role (backup, netdebug, ...), the container it serves, its state and the invocation (session) that started it. Found by label, so it also shows sidecars started from other shells.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --role metrics --json'];
  static override flags = {
    role: Flags.string({ description: 'Only sidecars of this role.', env: 'DOCKSIDE_ROLE' }),
    target: Flags.string({ description: 'Only sidecars serving this container (name or id).', env: 'DOCKSIDE_TARGET' }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Ps);
    const { listDocksideContainers, LABEL } = await import('@dockside/engine');
    const filter: Record<string, string> = {};
    if (flags.role) filter[LABEL.role] = flags.role;
    let list = await listDocksideContainers(await this.engine(), filter);
    if (flags.target) {
      const t = flags.target.replace(/^\//, '');
      list = list.filter((c) => c.targetName === t || c.target === t || (t.length >= 4 && c.target.startsWith(t)));
      // No sidecar serves it: an unknown container is bad input (exit 2, with the nearest names).
      if (list.length === 0) await (await import('@dockside/engine')).resolveContainer(await this.engine(), flags.target);
    }
    const { naturalCompare } = await import('@dockside/common');
    list.sort((a, b) => naturalCompare(a.name, b.name));
    if (flags.json) return this.printJson(list);
    if (list.length === 0) return this.log(flags.target ? `no dockside sidecars serving ${flags.target}` : 'no dockside sidecars');
    const { renderTable } = await import('@dockside/common');
    this.log(
      renderTable(
        ['NAME', 'ROLE', 'TARGET', 'STATE', 'STATUS', 'SESSION', 'ID'],
        list.map((c) => [c.name, c.role, c.targetName || '-', c.state, c.status, c.session, c.id.slice(0, 12)]),
      ),
    );
  }
}
