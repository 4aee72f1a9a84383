import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';

export default class MetricsStop extends DocksideCommand {
  static override summary = 'Stop and remove the metrics exporter sidecar.';
  static override description = 'Removes the exporter `dockside metrics serve` started on this engine (found by label). Stopping when none runs is not an error.';
  static override examples = ['<%= config.bin %> <%= command.id %>'];
  static override flags = { json: jsonFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(MetricsStop);
    const { stopMetricsService } = await import('@dockside/metrics');
    const removed = await stopMetricsService(await this.engine());
    if (flags.json) return this.printJson(removed.map((c) => ({ id: c.id, name: c.name })));
    this.log(removed.length ? `removed metrics exporter ${removed.map((c) => c.name).join(', ')}` : 'no metrics exporter running');
  }
}
