import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';

export default class AmbassadorLs extends DocksideCommand {
  static override summary = 'List the ambassadors: where they listen, their upstream, and what they did per instance.';
  static override description =
    'Figures are what each ambassador last reported (every 2 s while they change): connections accepted, open, failed (no instance reachable), retries on a next instance, and per instance whether it is listed and reachable, its connections and connect failures.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];
  static override flags = { json: jsonFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(AmbassadorLs);
    const { listAmbassadors } = await import('@dockside/discovery');
    const { renderTable } = await import('@dockside/common');
    const list = await listAmbassadors(await this.engine());
    if (flags.json) return this.printJson(list);
    if (!list.length) return this.log('no ambassador running');
    for (const a of list) {
      const s = a.status;
      this.log(
        `${a.target}: localhost ${a.listen} -> "${a.upstream}" from ${a.registry} (${a.state})${s ? `: ${s.accepted} accepted, ${s.active} open, ${s.failed} failed, ${s.retries} retries` : ''}`,
      );
      if (s?.instances.length)
        this.log(
          renderTable(
            ['INSTANCE', 'UP', 'CONNECTIONS', 'OPEN', 'CONNECT FAILURES'],
            s.instances.map((i) => [`${i.address}:${i.port}`, i.healthy ? 'yes' : 'no', String(i.connections), String(i.active), String(i.failures)]),
            [2, 3, 4],
          ),
        );
    }
  }
}
