import { Args, Flags } from '@oclif/core';
import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';

export default class RegisterStop extends DocksideCommand {
  static override summary = "Withdraw a container's registrations and remove their sidecars.";
  static override description =
    'Sends each register sidecar SIGTERM: it withdraws its entry (etcd: deletes the key and revokes the lease; dns: rewrites the hosts file without its record; Consul: deregisters), then it is removed with its api-proxy. Stopping when none runs is not an error.';
  static override examples = ['<%= config.bin %> <%= command.id %> web', '<%= config.bin %> <%= command.id %> web --service web', '<%= config.bin %> <%= command.id %> --all'];
  static override args = { container: Args.string({ description: 'The registered container (name or id).' }) };
  static override flags = {
    service: Flags.string({ description: 'Only this service.', env: 'DOCKSIDE_REGISTER_SERVICE' }),
    all: Flags.boolean({ description: 'Every register sidecar.', default: false, env: 'DOCKSIDE_REGISTER_ALL' }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(RegisterStop);
    const { stopRegisters } = await import('@dockside/discovery');
    const removed = await stopRegisters(await this.engine(), {
      ...(args.container ? { target: args.container } : {}),
      ...(flags.service ? { service: flags.service } : {}),
      all: flags.all,
    });
    if (flags.json) return this.printJson(removed);
    this.log(removed.length ? `withdrew and removed ${removed.map((r) => `${r.target} as "${r.service}"`).join(', ')}` : 'no register sidecar matched');
  }
}
