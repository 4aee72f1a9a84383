import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { DocksideCommand, jsonFlag } from '../lib/base-command.js';
import { listFlag } from '../lib/flags.js';
import { SIDECAR_ROLES, type SidecarRole } from '../lib/images-catalog.js';

export default class Probe extends DocksideCommand {
  static override summary = 'Show what each sidecar sees of a container: its volumes, network and processes.';
  static override description = `Starts each dockside sidecar image against the container, joined the way that sidecar joins for real work (backup and logship: --volumes-from; netdebug: --net and --pid container:; metrics: --net container:), asks it what it sees, and removes it. Use it to check that sidecars can reach a container before a job depends on it.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> web',
    '<%= config.bin %> <%= command.id %> web --role backup --role netdebug',
    '<%= config.bin %> <%= command.id %> 3f2a9c --json',
  ];
  static override args = { container: Args.string({ description: 'Target container: name, full id or unique id prefix.', required: true }) };
  static override flags = {
    role: listFlag({ description: 'Probe with this sidecar only (repeatable; default: all).', options: SIDECAR_ROLES, env: 'DOCKSIDE_PROBE_ROLE' }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Probe);
    const { probeTarget, renderProbe } = await import('../services/probe.js');
    const roles = (flags.role?.length ? flags.role : [...SIDECAR_ROLES]) as SidecarRole[];
    const results = await probeTarget(await this.engine(), args.container, roles, { version: this.config.version, session: this.session });
    if (flags.json) return this.printJson(results);
    this.log(renderProbe(results));
  }
}
