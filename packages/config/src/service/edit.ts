/**
 * `config edit`: the file as read from the container, in a private local copy (a 0700 temporary
 * directory, under the file's own name so the editor picks its syntax), opened in $VISUAL, $EDITOR
 * or vi. An interruption while the editor runs stops it and removes the copy; nothing was staged yet.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { InterruptedError, UserError } from '@dockside/common';
import type { SignalGuard } from './interrupts.js';

export function editorCommand(env: NodeJS.ProcessEnv = process.env): string {
  return env['VISUAL'] || env['EDITOR'] || 'vi';
}

export async function editLocally(path: string, current: Buffer, guard: SignalGuard, env: NodeJS.ProcessEnv = process.env): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'dockside-config-'));
  const file = join(dir, basename(path));
  try {
    await writeFile(file, current, { mode: 0o600 });
    const editor = editorCommand(env);
    // As git runs an editor: through the shell, so "code --wait" or "vim -u NONE" work; exec'd, so
    // the process stopped on an interruption is the editor itself.
    const child = spawn('/bin/sh', ['-c', `exec ${editor} "$1"`, editor, file], { stdio: 'inherit', env });
    const stopEditor = () => child.kill('SIGTERM');
    guard.onInterrupt(stopEditor);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (c) => resolve(c));
    });
    guard.check();
    if (code !== 0)
      throw new UserError(`the editor (${editor}) exited with ${code === null ? 'a signal' : `code ${code}`}; nothing was changed`, {
        hint: 'set VISUAL or EDITOR to the editor you use',
      });
    return await readFile(file);
  } catch (err) {
    if (guard.signal && !(err instanceof InterruptedError)) throw new InterruptedError(guard.signal);
    throw err;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
