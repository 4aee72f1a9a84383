/**
 * `dockside.cron.<job>.dockside`: the same backup service `dockside backup` runs, applied to the
 * job's container. The backup sidecar it starts carries the run id as its session label, so a
 * timeout, a "replace" or a scheduler that died mid-run can find and remove it.
 *
 * File systems: the backup service checks (and creates) a directory destination with fs calls,
 * which here see the scheduler's file system. `cron start --backup-dir DIR` bind-mounts each host
 * DIR at the same path in the scheduler, so those calls see the host directory and the bind
 * source the service gives the sidecar is the host path; a destination outside them is refused.
 */
import { Writable } from 'node:stream';
import { repositoryPath, runBackup } from '@dockside/backup';
import { LABEL, forceRemove, listDocksideContainers } from '@dockside/engine';
import type { Action } from '../jobs/model.js';
import { existsSync } from 'node:fs';
import { destinationAllowed, parseBackupArgs } from './backup-args.js';
import { REPO_PASSWORD_SECRET } from '../scheduler-files.js';
import { timeoutAfter, type ActionContext, type ActionResult, type ActionRun } from './types.js';

async function removeSessionSidecars(ctx: ActionContext, session: string): Promise<void> {
  const list = await listDocksideContainers(ctx.engine, { [LABEL.session]: session }).catch(() => []);
  await Promise.all(list.map((c) => forceRemove(ctx.engine, c.id).catch(() => undefined)));
}

export async function runDockside(ctx: ActionContext, run: ActionRun, action: Extract<Action, { kind: 'dockside' }>): Promise<ActionResult> {
  const args = parseBackupArgs(action.argv);
  if (!destinationAllowed(args.destination, ctx.backupDirs)) {
    return {
      status: 'failed',
      exitCode: 2,
      error: `backup destination ${args.destination} is not under a directory the scheduler may write to (${ctx.backupDirs.join(', ') || 'none given'}); restart it with \`dockside cron start --backup-dir <dir>\``,
    };
  }
  // A repository's password: the job's --password-file, else the scheduler's (cron start
  // --repo-password-file); an archive destination never gets one (it would be refused there).
  const isRepository = !args.passwordFile && existsSync(REPO_PASSWORD_SECRET) && (await repositoryPath(args.destination).catch(() => undefined)) !== undefined;
  const progress = new Writable({
    write(chunk: Buffer, _e, cb) {
      run.stderr.write(chunk);
      cb();
    },
  });
  const backup = runBackup(
    { engine: ctx.engine, version: ctx.version, session: run.runId, image: ctx.backupImage, env: process.env, progress: progress as unknown as { write(s: string): unknown } },
    { ...args, container: run.job.container.id, ...(isRepository ? { passwordFile: REPO_PASSWORD_SECRET } : {}) },
  ).then(
    (r) => ({ ok: true as const, id: 'snapshot' in r ? `snapshot ${r.snapshot.id.slice(0, 8)}` : r.manifest.id }),
    (err: unknown) => ({ ok: false as const, message: err instanceof Error ? err.message : String(err) }),
  );
  const timer = timeoutAfter(run.job.timeoutMs);
  try {
    const first = await Promise.race([backup, timer.promise, run.cancel.then((reason) => ({ cancel: reason }))]);
    if (typeof first === 'object' && 'ok' in first) {
      if (first.ok) {
        run.stdout.write(`backup ${first.id} complete\n`);
        return { status: 'succeeded', exitCode: 0 };
      }
      run.stderr.write(`${first.message}\n`);
      return { status: 'failed', exitCode: 1, error: first.message };
    }
    // Timed out or cancelled: remove the sidecar; the service then fails and removes its partial backup.
    await removeSessionSidecars(ctx, run.runId);
    await Promise.race([backup, new Promise((r) => setTimeout(r, 10_000))]);
    if (first === 'timeout') return { status: 'timeout', exitCode: null, error: `timed out after ${run.job.timeoutMs} ms; the backup sidecar was removed` };
    return { status: 'interrupted', exitCode: null, error: first.cancel };
  } finally {
    timer.clear();
  }
}
