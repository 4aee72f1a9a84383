/** Flags every `dockside cron` command shares. */
import * as Flags from '@oclif/core/flags';

/** Which scheduler: several can run on one engine, one per name (as `logs ship --name`). */
export const schedulerNameFlag = Flags.string({
  description: 'Name of the scheduler (several can run side by side, one per name); label jobs choose theirs with dockside.cron.<job>.scheduler.',
  default: 'default',
  env: 'DOCKSIDE_CRON_NAME',
  parse: async (input) => {
    const { checkSchedulerName } = await import('@dockside/cron');
    return checkSchedulerName(input);
  },
});
