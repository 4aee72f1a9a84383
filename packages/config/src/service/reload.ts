/** Telling the app about its new config: a signal to its main process, a restart, or nothing. */
import { TargetStateError } from '@dockside/common';
import { resolveContainer, restartContainer, signalContainer, startContainer, type TargetContainer } from '@dockside/engine';
import { reloadText, type Reload } from '../spec.js';
import type { ConfigContext } from './context.js';

/**
 * Reload `target`. A signal needs it running; with `startIfStopped` (putting a previous version
 * back after the app died on the new one) a stopped app is started instead.
 */
export async function reloadTarget(ctx: ConfigContext, target: TargetContainer, reload: Reload, o: { startIfStopped?: boolean } = {}): Promise<string> {
  if (reload.kind === 'none') return 'not reloaded (--reload none)';
  const now = await resolveContainer(ctx.engine, target.id);
  if (reload.kind === 'restart') {
    await restartContainer(ctx.engine, target.id);
    return `restarted ${target.name}`;
  }
  if (!now.running) {
    if (o.startIfStopped) {
      await startContainer(ctx.engine, target.id);
      return `started ${target.name} again (it had exited)`;
    }
    throw new TargetStateError(`container "${target.name}" is not running (${now.status}): no process to send ${reloadText(reload)} to`, {
      hint: `start it (docker start ${target.name}) or use --reload restart`,
    });
  }
  await signalContainer(ctx.engine, target.id, reload.signal);
  return `sent ${reloadText(reload)} to ${target.name}`;
}
