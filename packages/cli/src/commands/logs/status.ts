import { Flags } from '@oclif/core';
import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';

export default class LogsStatus extends DocksideCommand {
  static override summary = 'Show what the log shippers shipped: lines, bytes, lag, last position, errors and gaps per container.';
  static override description =
    'Reads the figures each shipper reports (every second while they change) through the sidecar protocol. Lag is the time between the newest line read and the newest line the destination acknowledged (- while the shipper is not running: its figures are then the last it reported). A gap is a time range of lines that were rotated away by Docker before they could be shipped.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --name shop --json'];
  static override flags = {
    name: Flags.string({ description: 'Only this shipper.', env: 'DOCKSIDE_LOGS_NAME' }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(LogsStatus);
    const { shipperStatus } = await import('@dockside/logship');
    const { renderTable, formatBytes } = await import('@dockside/common');
    const engine = await this.engine();
    const list = await shipperStatus(engine, flags.name);
    if (!list.length && flags.name) {
      // A name that matches no shipper is bad input (exit 2), with the names there are.
      const { NotFoundError, naturalCompare } = await import('@dockside/common');
      const names = (await shipperStatus(engine)).map((s) => s.name).sort(naturalCompare);
      throw new NotFoundError(`no log shipper named "${flags.name}"`, {
        hint: names.length ? `running shippers: ${names.join(', ')}` : 'no log shipper is running; start one with `dockside logs ship`',
      });
    }
    if (flags.json) return this.printJson(list);
    if (!list.length) return this.log('no log shipper running');
    for (const s of list) {
      const st = s.status;
      this.log(
        `shipper "${s.name}" (${s.container}, ${s.state}) -> ${s.sink}${st ? `: ${st.sinkStats.sent} lines sent since it started, ${st.sinkStats.retries} retries, ${st.queued} queued` : ': no figures yet'}`,
      );
      if (st?.targets.length) {
        const rows = st.targets.map((t) => [
          t.name,
          String(t.lines),
          formatBytes(t.bytes),
          t.lagSeconds === null ? '-' : `${t.lagSeconds.toFixed(1)}s`,
          t.shippedTime || '-',
          String(t.errors),
          String(t.gaps),
        ]);
        this.log(renderTable(['CONTAINER', 'LINES', 'BYTES', 'LAG', 'LAST SHIPPED', 'ERRORS', 'GAPS'], rows, [1, 2, 3, 5, 6]));
      }
      if (st?.retrying) this.log(`delivery failing, retrying: ${st.retrying}`);
      for (const g of st?.gaps ?? []) this.log(`gap: ${g.container} ${g.stream} ${g.from} .. ${g.to}`);
      for (const w of s.warnings) this.log(`warning: ${w}`);
    }
  }
}
