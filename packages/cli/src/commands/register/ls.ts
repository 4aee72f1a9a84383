import { Flags } from '@oclif/core';
import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';

export default class RegisterLs extends DocksideCommand {
  static override summary = 'List the register sidecars: target, service, registry, state and check figures.';
  static override description =
    'State is what each sidecar last reported: published (its entry is in the registry), withdrawn (its check fails), draining (the app is stopping), target-down (the app is stopped; the sidecar follows it when it starts again).';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --service web --json'];
  static override flags = {
    service: Flags.string({ description: 'Only this service.', env: 'DOCKSIDE_REGISTER_SERVICE' }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(RegisterLs);
    const { listRegisters } = await import('@dockside/discovery');
    const { renderTable, naturalCompare } = await import('@dockside/common');
    const list = (await listRegisters(await this.engine(), flags.service ? { service: flags.service } : {})).sort((a, b) => naturalCompare(a.target, b.target));
    if (flags.json) return this.printJson(list);
    if (!list.length) return this.log('no register sidecar running');
    const rows = list.map((r) => {
      const s = r.registered;
      return [
        r.target,
        r.service,
        r.registry,
        r.state === 'running' ? (s?.state ?? 'starting') : r.state,
        s ? `${s.address}:${s.port}` : '-',
        s ? `${s.checks.passed}/${s.checks.failed}` : '-',
        s?.lastCheck?.detail ?? '-',
      ];
    });
    this.log(renderTable(['TARGET', 'SERVICE', 'REGISTRY', 'STATE', 'ADDRESS', 'PASSED/FAILED', 'LAST CHECK'], rows));
  }
}
