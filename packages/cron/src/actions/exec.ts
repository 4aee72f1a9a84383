/** `dockside.cron.<job>.exec`: a shell command in the job's container; on timeout or cancel every process it started is ended before the run ends. */
import { TargetStateError } from '@dockside/common';
import { startExecJob } from '@dockside/engine';
import type { Action } from '../jobs/model.js';
import { timeoutAfter, type ActionContext, type ActionResult, type ActionRun } from './types.js';

export async function runExec(ctx: ActionContext, run: ActionRun, action: Extract<Action, { kind: 'exec' }>): Promise<ActionResult> {
  let job;
  try {
    job = await startExecJob(ctx.engine, run.job.container.id, action.command, { stdout: run.stdout, stderr: run.stderr });
  } catch (err) {
    // It stopped after the scheduler last saw it running (its die event still on the way).
    if (err instanceof TargetStateError) return { status: 'skipped', exitCode: null, error: `target not running: container ${run.job.container.name} is not running` };
    throw err;
  }
  void job.pid.then((pid) => pid > 0 && run.onProc({ container: run.job.container.id, execId: job.execId, pid, tag: job.tag }));
  const timer = timeoutAfter(run.job.timeoutMs);
  try {
    const first = await Promise.race([job.done.then((code) => ({ code })), timer.promise, run.cancel.then((reason) => ({ cancel: reason }))]);
    if (typeof first === 'object' && 'code' in first) {
      if (job.neverStarted()) return { status: 'skipped', exitCode: null, error: 'not started: the connection to the engine dropped as the run began (nothing ran)' };
      return { status: first.code === 0 ? 'succeeded' : 'failed', exitCode: first.code };
    }
    await job.kill(2000);
    const code = await Promise.race([job.done, new Promise<number>((r) => setTimeout(() => r(-1), 5000))]);
    if (first === 'timeout') return { status: 'timeout', exitCode: code, error: `timed out after ${run.job.timeoutMs} ms; its processes were ended` };
    return { status: 'interrupted', exitCode: code, error: first.cancel };
  } finally {
    timer.clear();
  }
}
