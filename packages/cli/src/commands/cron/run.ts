import { Args, Flags } from '@oclif/core';
import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';
import { schedulerNameFlag } from '../../lib/cron-flags.js';

export default class CronRun extends DocksideCommand {
  static override summary = 'Run a scheduled job now, its output streamed; exit code relayed.';
  static override description =
    "The running scheduler starts the run (recorded in its history as a manual run), respecting the job's overlap policy: with overlap=forbid and a run in progress (or its container not running), nothing starts and the exit code is 6. --force runs anyway. Ctrl-C (or SIGTERM) stops watching, not the run: it goes on in the scheduler, as the message then says (see `dockside cron history`).";
  static override examples = ['<%= config.bin %> <%= command.id %> web/backup', '<%= config.bin %> <%= command.id %> web/cleanup --force'];
  static override args = { job: Args.string({ description: 'The job, <container>/<job> (see `dockside cron ls`).', required: true }) };
  static override flags = {
    force: Flags.boolean({ description: 'Run even if a run is in progress and the job forbids overlap.', default: false, env: 'DOCKSIDE_CRON_FORCE' }),
    name: schedulerNameFlag,
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(CronRun);
    const { runCronJob } = await import('@dockside/cron');
    const { EXIT } = await import('@dockside/common');
    const detach = (sig: 'SIGINT' | 'SIGTERM') => () => {
      process.stderr.write(
        `\ndockside: ${args.job}: stopped watching (${sig}); the run goes on in the scheduler: see \`dockside cron history --job ${args.job}${flags.name === 'default' ? '' : ` --name ${flags.name}`}\`\n`,
      );
      process.exit(sig === 'SIGINT' ? EXIT.sigint : EXIT.sigterm);
    };
    process.once('SIGINT', detach('SIGINT'));
    process.once('SIGTERM', detach('SIGTERM'));
    const o = await runCronJob(await this.engine(), flags.name, args.job, flags.force, flags.json ? process.stderr : process.stdout);
    if (flags.json) this.printJson(o);
    else if (o.status !== 'succeeded') process.stderr.write(`dockside: ${args.job}: ${o.status}${o.error ? `: ${o.error}` : ''}\n`);
    process.exitCode = o.status === 'succeeded' ? 0 : o.status === 'skipped' ? EXIT.skipped : typeof o.exitCode === 'number' && o.exitCode !== 0 ? o.exitCode : 1;
  }
}
