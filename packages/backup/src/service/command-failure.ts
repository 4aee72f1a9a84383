/** The one-line error for a user's command (--exec, --dump, --load) that failed inside the target. */
import { UserError } from '@dockside/common';
import type { OutputTail } from '@dockside/engine';

export function commandFailed(flag: string, targetName: string, exitCode: number, stderr: OutputTail): UserError {
  const why = stderr.lastLine();
  return new UserError(`${flag} command failed in "${targetName}" with exit code ${exitCode}${why ? `: ${why}` : ''}`, {
    hint: `try it by hand: docker exec ${targetName} sh -c '<command>'`,
  });
}
