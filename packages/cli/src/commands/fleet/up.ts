import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';
import { durationFlag } from '../../lib/flags.js';
import { fleetImages } from '../../lib/fleet-images.js';

export default class FleetUp extends DocksideCommand {
  static override summary = 'Deploy the dockside agent on every node of a Docker Swarm (DOCKER_HOST: a manager).';
  static override description = `Deploys three global Swarm services (one task per node, also on nodes that join later): dockside-fleet-agent, which starts dockside's sidecars next to the Swarm tasks of its node, and two api-proxies holding the node's Docker socket (dockside-fleet-proxy for the agent, dockside-fleet-logs-proxy for the log shippers it starts). The agent never mounts the socket; every call it makes goes through its proxy's rules and create policy. Nothing runs privileged; every service drops all capabilities and runs on a read-only root.

What the fleet does is kept in the agent service's spec (see \`dockside logs ship --swarm\`), so a restart of an agent or a manager loses nothing. Running it again updates the services in place and keeps the chores. Waits until every Ready, active node runs its agent. Every node needs the dockside/fleet and dockside/logship images (no registry here: \`scripts/fleet.sh up\` loads them into its nodes).`;
  static override examples = [
    'DOCKER_HOST=unix:///var/lib/dockside-fleet/n1/docker.sock <%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --timeout 2m --json',
  ];
  static override flags = {
    timeout: durationFlag({ description: "How long to wait for every node's agent.", default: '90s', env: 'DOCKSIDE_FLEET_TIMEOUT' }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(FleetUp);
    const { fleetUp } = await import('@dockside/fleet');
    const r = await fleetUp(await this.engine(), fleetImages(this.config.version), { timeoutMs: flags.timeout });
    if (flags.json) return this.printJson(r);
    this.log(`fleet agent running on ${r.nodes} node${r.nodes === 1 ? '' : 's'} (${(r.ms / 1000).toFixed(1)} s)`);
  }
}
