/**
 * Running a command inside a target container through the exec API (no shell on the host, no
 * `docker` CLI): output demuxed with backpressure, stdin optionally piped in, exit code relayed.
 */
import createDebug from 'debug';
import { UserError } from '@dockside/common';
import { dockerOf } from '../connection/client.js';
import type { Engine } from '../connection/engine.js';
import { mapEngineError } from '../connection/errors.js';
import { demuxTo } from '../streams/demux.js';

const debug = createDebug('dockside:exec');

export interface ExecIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Piped to the command's stdin; its end closes the command's stdin. */
  stdin?: NodeJS.ReadableStream;
}

export interface ExecOptions {
  user?: string;
  env?: Record<string, string>;
  workingDir?: string;
}

/** Run `cmd` in the container and resolve with its exit code once it exits and its output is drained. */
export async function execInContainer(engine: Engine, containerId: string, cmd: string[], io: ExecIO, opts: ExecOptions = {}): Promise<number> {
  const container = (await dockerOf(engine)).getContainer(containerId);
  const doing = `running "${cmd.join(' ')}" in container ${containerId.slice(0, 12)}`;
  let exec;
  try {
    exec = await container.exec({
      Cmd: cmd,
      AttachStdout: true,
      AttachStderr: true,
      AttachStdin: Boolean(io.stdin),
      Tty: false,
      ...(opts.user ? { User: opts.user } : {}),
      ...(opts.workingDir ? { WorkingDir: opts.workingDir } : {}),
      ...(opts.env ? { Env: Object.entries(opts.env).map(([k, v]) => `${k}=${v}`) } : {}),
    });
  } catch (err) {
    throw mapEngineError(err, { endpoint: engine.endpoint, doing });
  }
  let stream: NodeJS.ReadWriteStream;
  try {
    stream = (await exec.start({ hijack: true, stdin: Boolean(io.stdin) })) as unknown as NodeJS.ReadWriteStream;
  } catch (err) {
    throw mapEngineError(err, { endpoint: engine.endpoint, doing });
  }
  const done = new Promise<void>((resolve, reject) => {
    const sink = demuxTo(io.stdout, io.stderr);
    sink.on('error', reject);
    sink.on('finish', resolve);
    stream.on('error', reject);
    stream.on('end', () => resolve());
    stream.pipe(sink);
  });
  if (io.stdin) {
    const input = io.stdin;
    input.on('error', (err) => (stream as unknown as { destroy(e: Error): void }).destroy(err as Error));
    input.pipe(stream as unknown as NodeJS.WritableStream, { end: false });
    input.on('end', () => {
      // Half-close: the command sees EOF on its stdin while we keep reading its output.
      const s = stream as unknown as { end?: () => void };
      s.end?.();
    });
  }
  await done;
  try {
    for (let i = 0; i < 100; i++) {
      const info = await exec.inspect();
      if (!info.Running) {
        debug('%s exited %d', cmd[0], info.ExitCode);
        return info.ExitCode ?? -1;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (err) {
    throw mapEngineError(err, { endpoint: engine.endpoint, doing });
  }
  throw new UserError(`${doing}: the command did not exit after its output ended`, {
    hint: 'a command that closes its output must also exit (run a daemon detached, not through exec)',
  });
}
