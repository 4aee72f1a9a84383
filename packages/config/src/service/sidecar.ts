/**
 * Running one subcommand of the config program in a throw-away sidecar: file commands join the
 * target's volumes (--volumes-from, read-only for reads) with no network and a read-only root;
 * `check` joins its network namespace instead. Capabilities: DAC_READ_SEARCH to read the app's
 * files; to write, CHOWN and FOWNER (a staged copy gets the file's owner, mode and xattrs),
 * DAC_OVERRIDE (directories the app's user owns) and FSETID (setgid bits survive the copy).
 */
import { Readable, Writable } from 'node:stream';
import { ROLE, UserError } from '@dockside/common';
import { EventReader, runSidecar, type TargetContainer } from '@dockside/engine';
import type { ConfigContext } from './context.js';

const READ_CAPS = ['DAC_READ_SEARCH'];
const WRITE_CAPS = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID'];
const MAX_STDOUT = 17 * 1024 * 1024;

class Collect extends Writable {
  chunks: Buffer[] = [];
  size = 0;
  override _write(chunk: Buffer, _e: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.size += chunk.length;
    if (this.size > MAX_STDOUT) return cb(new UserError(`the config sidecar printed more than ${MAX_STDOUT} bytes`, { code: 'ETOOLARGE' }));
    this.chunks.push(chunk);
    cb();
  }
}

export interface ProgramRun<R> {
  result: R;
  stdout: Buffer;
}

export async function runConfigProgram<R>(
  ctx: ConfigContext,
  target: TargetContainer,
  args: string[],
  o: { access: 'read' | 'write' | 'network'; stdin?: Buffer },
): Promise<ProgramRun<R>> {
  const stdout = new Collect();
  const reader = new EventReader<Record<string, never>, R>();
  const joinNet = o.access === 'network';
  const { exitCode } = await runSidecar(
    ctx.engine,
    {
      role: ROLE.config,
      image: ctx.image,
      version: ctx.version,
      session: ctx.session,
      target,
      cmd: args,
      capAdd: o.access === 'write' ? WRITE_CAPS : o.access === 'read' ? READ_CAPS : [],
      readonlyRootfs: true,
      ...(joinNet ? { join: { network: true } } : { networkMode: 'none', hostConfig: { VolumesFrom: [o.access === 'read' ? `${target.id}:ro` : target.id] } }),
      ...(o.stdin ? { stdin: true } : {}),
    },
    { stdout, stderr: reader, ...(o.stdin ? { stdin: Readable.from([o.stdin]) } : {}) },
  );
  await reader.finish();
  if (exitCode !== 0) throw reader.failure(ROLE.config, exitCode);
  if (reader.result === undefined) throw reader.failure(ROLE.config, exitCode || 1);
  return { result: reader.result, stdout: Buffer.concat(stdout.chunks) };
}
