import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';
import { durationFlag } from '../../lib/flags.js';
import { fleetImages } from '../../lib/fleet-images.js';

export default class FleetDown extends DocksideCommand {
  static override summary = 'Remove the dockside agent and everything it started, on every node of the Swarm.';
  static override description =
    "Removes the agent and proxy services (and with them the chores they held), then runs a sweep on every node (a global service, removed once every node reports it swept) that stops the log shippers the agent started (SIGTERM: they deliver what they queued), removes them, their position volumes and the proxies' socket volumes. The sweep reaches its node's engine through an in-process api-proxy that allows only listing and removing. Taking down a fleet that is not up is not an error.";
  static override examples = ['<%= config.bin %> <%= command.id %>'];
  static override flags = {
    timeout: durationFlag({ description: 'How long to wait for the nodes to be swept.', default: '2m', env: 'DOCKSIDE_FLEET_TIMEOUT' }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(FleetDown);
    const { fleetDown } = await import('@dockside/fleet');
    const r = await fleetDown(await this.engine(), fleetImages(this.config.version), { timeoutMs: flags.timeout });
    if (flags.json) return this.printJson(r);
    this.log(`removed ${r.removed.length ? r.removed.join(', ') : 'nothing (the fleet was not up)'}; swept ${r.swept} node${r.swept === 1 ? '' : 's'}`);
  }
}
