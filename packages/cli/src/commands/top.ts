import { Flags } from '@oclif/core';
import { DocksideCommand } from '../lib/base-command.js';
import { durationFlag } from '../lib/flags.js';

export default class Top extends DocksideCommand {
  static override summary = 'Live view of every running container: CPU, memory, network, block I/O, pids.';
  static override description = `Refreshes in place every --interval from the containers' cgroup files and /proc on this host (new containers appear, gone ones drop out). Keys: c, m, n, i, a sort by CPU, memory (working set), network, block I/O or name; q or Ctrl-C quits. When the output is not a terminal it prints one timestamped table per refresh instead, and --count stops after that many.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --sort mem --interval 5s',
    '<%= config.bin %> <%= command.id %> --count 3 > top.log',
  ];
  static override flags = {
    sort: Flags.string({ description: 'Initial sort key.', options: ['cpu', 'mem', 'net', 'io', 'name'], default: 'cpu', env: 'DOCKSIDE_TOP_SORT' }),
    interval: durationFlag({ description: 'Refresh interval.', default: '2s', min: 200, max: 3_600_000, env: 'DOCKSIDE_TOP_INTERVAL' }),
    count: Flags.integer({ description: 'Stop after this many refreshes (0: until q).', default: 0, min: 0, max: 1_000_000, env: 'DOCKSIDE_TOP_COUNT' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Top);
    const { runTop } = await import('@dockside/metrics');
    const tty = Boolean(process.stdout.isTTY && process.stdin.isTTY);
    await runTop(await this.engine(), {
      sort: flags.sort as 'cpu' | 'mem' | 'net' | 'io' | 'name',
      intervalMs: flags.interval,
      count: flags.count,
      out: process.stdout,
      input: process.stdin,
      tty,
    });
  }
}
