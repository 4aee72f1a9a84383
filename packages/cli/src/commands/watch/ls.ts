import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';

export default class WatchLs extends DocksideCommand {
  static override summary = 'List the watches: what they watch, and what their on-change action did.';
  static override description =
    'Figures are what each watch last reported: how often its action ran and failed, and the last run (when, the set it was run for, its exit code or error).';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];
  static override flags = { json: jsonFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(WatchLs);
    const { listAmbassadors } = await import('@dockside/discovery');
    const list = await listAmbassadors(await this.engine(), { kind: 'watch' });
    if (flags.json) return this.printJson(list);
    if (!list.length) return this.log('no watch running');
    for (const w of list) {
      const c = w.status?.changes;
      const last = c?.last
        ? `; last ${c.last.at}: ${c.last.action} for [${c.last.set.join(', ')}] ${c.last.error ? `failed: ${c.last.error}` : c.last.exitCode !== null ? `exit ${c.last.exitCode}` : 'sent'}`
        : '';
      this.log(`${w.target}: "${w.upstream}" from ${w.registry} (${w.state})${c ? `: ${c.runs} run(s), ${c.failed} failed${last}` : ''}`);
    }
  }
}
