import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';

export default class FleetStatus extends DocksideCommand {
  static override summary = "Show every Swarm node, its dockside agent, the agent's version and the sidecars it runs.";
  static override description =
    "Asks the manager (DOCKER_HOST) for the nodes and the agent's tasks, and reads what each agent last reported (it reports through the sidecar protocol on its log, every change and every 10 s) from the agent service's logs.";
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];
  static override flags = { json: jsonFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(FleetStatus);
    const { fleetStatus } = await import('@dockside/fleet');
    const { renderTable } = await import('@dockside/common');
    const list = await fleetStatus(await this.engine());
    if (flags.json) return this.printJson(list);
    this.log(
      renderTable(
        ['NODE', 'STATE', 'ROLE', 'AGENT', 'VERSION', 'SIDECARS'],
        list.map((n) => [
          n.hostname,
          `${n.state}/${n.availability}`,
          n.manager ? 'manager' : 'worker',
          n.agent,
          n.version ?? '-',
          n.sidecars.length ? n.sidecars.map((s) => `${s.chore}:${s.service}:${s.task.slice(0, 12)}(${s.state})`).join(' ') : '-',
        ]),
      ),
    );
  }
}
