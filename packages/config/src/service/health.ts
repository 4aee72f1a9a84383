/**
 * Is the app healthy after a reload? http and tcp probes run in the config sidecar joined to the
 * target's network namespace (created after the reload: a restarted container has a new one);
 * exec probes and the container's own HEALTHCHECK run in the target itself. A probe must pass
 * SETTLE times in a row before the deadline; a target that is not running is unhealthy at once.
 */
import { OutputTail, execInContainer, resolveContainer, type TargetContainer } from '@dockside/engine';
import type { CheckResult } from '../events.js';
import type { Check } from '../spec.js';
import type { ConfigContext } from './context.js';
import { runConfigProgram } from './sidecar.js';

const SETTLE = 3;
const INTERVAL_MS = 500;

export interface HealthOutcome extends CheckResult {
  /** The target was not running when looked at. */
  exited?: string;
}

async function notRunning(ctx: ConfigContext, target: TargetContainer): Promise<string | undefined> {
  const now = await resolveContainer(ctx.engine, target.id);
  return now.running ? undefined : `${target.name} is ${now.status}`;
}

export async function checkHealth(ctx: ConfigContext, target: TargetContainer, check: Check, deadlineMs: number): Promise<HealthOutcome> {
  const t0 = Date.now();
  // A restarted app may take a moment to be running again.
  let gone = await notRunning(ctx, target);
  for (let i = 0; gone && i < 10; i++) {
    await new Promise((r) => setTimeout(r, 200));
    gone = await notRunning(ctx, target);
  }
  if (gone) return { healthy: false, attempts: 0, last: gone, elapsedMs: Date.now() - t0, exited: gone };
  let result: CheckResult;
  if (check.kind === 'http' || check.kind === 'tcp') {
    const probe = check.kind === 'http' ? ['--http', String(check.port), check.path] : ['--tcp', String(check.port)];
    const left = Math.max(1000, deadlineMs - (Date.now() - t0));
    try {
      result = (
        await runConfigProgram<CheckResult>(ctx, target, ['check', ...probe, '--deadline', String(left), '--interval', String(INTERVAL_MS), '--settle', String(SETTLE)], {
          access: 'network',
        })
      ).result;
    } catch (err) {
      // The app died before the probe could join its network namespace: that is the answer.
      const died = await notRunning(ctx, target);
      if (!died) throw err;
      return { healthy: false, attempts: 0, last: died, elapsedMs: Date.now() - t0, exited: died };
    }
  } else {
    result = await execLoop(ctx, target, check.cmd, deadlineMs - (Date.now() - t0));
  }
  const exited = await notRunning(ctx, target);
  return exited ? { ...result, healthy: false, last: exited, exited } : result;
}

async function execLoop(ctx: ConfigContext, target: TargetContainer, cmd: string[], deadlineMs: number): Promise<CheckResult> {
  const t0 = Date.now();
  let attempts = 0;
  let passes = 0;
  let last = 'not tried';
  for (;;) {
    attempts++;
    const out = new OutputTail(400);
    const code = await Promise.race([
      execInContainer(ctx.engine, target.id, cmd, { stdout: out, stderr: out }).catch((err: Error) => {
        last = err.message;
        return -1;
      }),
      new Promise<number>((r) => setTimeout(() => r(-2), 5000).unref()),
    ]);
    if (code >= 0) last = `exit ${code}${out.lastLine() ? `: ${out.lastLine()}` : ''}`;
    else if (code === -2) last = 'no answer in 5 s';
    passes = code === 0 ? passes + 1 : 0;
    if (passes >= SETTLE || Date.now() - t0 + INTERVAL_MS > deadlineMs) break;
    if (await notRunning(ctx, target)) break;
    await new Promise((r) => setTimeout(r, INTERVAL_MS));
  }
  return { healthy: passes >= SETTLE, attempts, last, elapsedMs: Date.now() - t0 };
}
