import { Args, Flags } from '@oclif/core';
import { DocksideCommand } from '../../lib/base-command.js';
import { imageRef } from '../../lib/images-catalog.js';

export default class LogsTail extends DocksideCommand {
  static override summary = "Show the last lines of log files in a container's volumes (and follow them), without a shell in the app.";
  static override description = `For applications that log to files the legacy way: a throw-away sidecar joins the container's volumes read-only and prints the last lines of each file matching <path|glob> (as the application sees the path), like tail(1). With --follow it keeps printing what is appended, across rotation by rename and create or by copytruncate, and picks up files that appear later and match. The sidecar has no network and is removed when you stop it (Ctrl-C).`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> web /var/log/nginx/access.log',
    "<%= config.bin %> <%= command.id %> web '/srv/data/logs/*.log' -n 50",
    '<%= config.bin %> <%= command.id %> app /var/log/app/app.log -f',
  ];
  static override strict = false;
  static override args = {
    container: Args.string({ description: 'Container whose volumes hold the files (name or id).', required: true }),
    path: Args.string({ description: 'File path or glob as the container sees it (*, ?, **); more may follow.', required: true }),
  };
  static override flags = {
    lines: Flags.integer({ char: 'n', description: 'How many last lines of each file.', default: 10, min: 0, max: 1_000_000, env: 'DOCKSIDE_LOGS_TAIL_LINES' }),
    follow: Flags.boolean({ char: 'f', description: 'Keep printing appended lines until interrupted.', default: false, env: 'DOCKSIDE_LOGS_TAIL_FOLLOW' }),
  };

  async run(): Promise<void> {
    const { args, flags, argv } = await this.parse(LogsTail);
    const { tailFiles } = await import('@dockside/logship');
    const paths = (argv as string[]).slice(1);
    const code = await tailFiles(
      await this.engine(),
      {
        image: imageRef('logship', this.config.version),
        version: this.config.version,
        session: this.session,
        container: args.container,
        paths,
        lines: flags.lines,
        follow: flags.follow,
      },
      process.stdout,
    );
    process.exitCode = code;
  }
}
