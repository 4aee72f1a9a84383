/** Runs one attempt of a job's action. */
import type { ActionContext, ActionResult, ActionRun } from './types.js';
import { runDockside } from './dockside.js';
import { runExec } from './exec.js';
import { runContainer } from './run.js';

export async function runAction(ctx: ActionContext, run: ActionRun): Promise<ActionResult> {
  const a = run.job.action;
  try {
    if (a.kind === 'exec') return await runExec(ctx, run, a);
    if (a.kind === 'run') return await runContainer(ctx, run, a);
    return await runDockside(ctx, run, a);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    run.stderr.write(`${message}\n`);
    return { status: 'failed', exitCode: null, error: message };
  }
}

export type { ActionContext, ActionResult, ActionRun } from './types.js';
export { RUN_ROLE, JOB_LABEL, RUN_LABEL, SCHEDULER_LABEL } from './labels.js';
export { parseBackupArgs, destinationAllowed } from './backup-args.js';
