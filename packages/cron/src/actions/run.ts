/** `dockside.cron.<job>.run` + `.image`: a one-off container, removed after; on timeout stopped and removed. */
import { runJobContainer } from '@dockside/engine';
import type { Action } from '../jobs/model.js';
import { JOB_LABEL, RUN_LABEL, RUN_ROLE, SCHEDULER_LABEL } from './labels.js';
import type { ActionContext, ActionResult, ActionRun } from './types.js';

export async function runContainer(ctx: ActionContext, run: ActionRun, action: Extract<Action, { kind: 'run' }>): Promise<ActionResult> {
  let cancelReason: string | undefined;
  const cancel = run.cancel.then((r) => {
    cancelReason = r;
  });
  const r = await runJobContainer(
    ctx.engine,
    {
      image: action.image,
      ...(action.command ? { cmd: ['sh', '-c', action.command] } : {}),
      role: RUN_ROLE,
      version: ctx.version,
      session: run.runId,
      labels: { [JOB_LABEL]: run.job.id, [RUN_LABEL]: run.runId, [SCHEDULER_LABEL]: ctx.scheduler },
    },
    {
      stdout: run.stdout,
      stderr: run.stderr,
      ...(run.job.timeoutMs !== undefined ? { timeoutMs: run.job.timeoutMs } : {}),
      onStarted: (id) => run.onProc({ runContainer: id }),
      cancel,
    },
  );
  if (r.timedOut) return { status: 'timeout', exitCode: r.exitCode, error: `timed out after ${run.job.timeoutMs} ms; the container was stopped and removed` };
  if (r.cancelled) return { status: 'interrupted', exitCode: r.exitCode, error: cancelReason ?? 'cancelled' };
  return { status: r.exitCode === 0 ? 'succeeded' : 'failed', exitCode: r.exitCode };
}
