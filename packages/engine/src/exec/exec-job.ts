/**
 * A shell command run in a container through the exec API, as a job that can be ended for real:
 * the command runs as its own process group leader (an exec'd process is the leader of a new
 * session), its in-container pid is reported on a marker line the caller never sees, and `kill`
 * signals the whole group from a second exec (TERM, then KILL after a grace period), so a
 * timed-out `sh -c "sleep 600; ..."` leaves nothing behind (`docker top` shows it gone).
 * The target needs a POSIX `sh` (as `--exec` of backups does).
 */
import { Writable } from 'node:stream';
import createDebug from 'debug';
import { dockerOf } from '../connection/client.js';
import type { Engine } from '../connection/engine.js';
import { demuxTo } from '../streams/demux.js';
import { TargetStateError } from '@dockside/common';
import { mapEngineError, statusOf } from '../connection/errors.js';

const debug = createDebug('dockside:exec-job');
const PID_MARK = '@dockside-exec-pid ';

export interface ExecJob {
  execId: string;
  /** The command's pid inside the container (its process group id). */
  pid: Promise<number>;
  /** Resolves with the exit code once the command has exited and its output is drained. */
  done: Promise<number>;
  /** TERM the process group, KILL it after `graceMs` if it is still running. */
  kill(graceMs?: number): Promise<void>;
}

export interface ExecJobIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** Strips the pid marker line from the start of stderr and reports it. */
class MarkerFilter extends Writable {
  private head = '';
  private passing = false;
  constructor(
    private readonly dest: NodeJS.WritableStream,
    private readonly onPid: (pid: number) => void,
  ) {
    super();
  }
  override _write(chunk: Buffer, _e: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.passing) return this.forward(chunk, cb);
    this.head += chunk.toString('latin1');
    const nl = this.head.indexOf('\n');
    if (nl < 0 && this.head.length < 256) return cb();
    this.passing = true;
    const first = nl >= 0 ? this.head.slice(0, nl) : '';
    let out = Buffer.from(this.head, 'latin1');
    if (first.startsWith(PID_MARK)) {
      this.onPid(Number(first.slice(PID_MARK.length)));
      out = out.subarray(nl + 1);
    }
    this.head = '';
    if (out.length === 0) return cb();
    this.forward(out, cb);
  }
  override _final(cb: (err?: Error | null) => void): void {
    if (!this.passing && this.head) this.dest.write(Buffer.from(this.head, 'latin1'));
    cb();
  }
  private forward(chunk: Buffer, cb: (err?: Error | null) => void): void {
    if (this.dest.write(chunk)) cb();
    else this.dest.once('drain', () => cb());
  }
}

export async function startExecJob(engine: Engine, containerId: string, command: string, io: ExecJobIO): Promise<ExecJob> {
  const container = (await dockerOf(engine)).getContainer(containerId);
  const doing = `running a job in container ${containerId.slice(0, 12)}`;
  // `exec sh -c "$1"` keeps the pid (and so the process group) of the shell that printed it.
  const cmd = ['sh', '-c', `printf '${PID_MARK}%s\\n' $$ >&2; exec sh -c "$1"`, 'sh', command];
  let exec;
  try {
    exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, Tty: false });
  } catch (err) {
    throw notRunning(err, containerId) ?? mapEngineError(err, { endpoint: engine.endpoint, doing, subject: `container ${containerId.slice(0, 12)}` });
  }
  let stream: NodeJS.ReadableStream;
  try {
    stream = (await exec.start({ hijack: true, stdin: false })) as unknown as NodeJS.ReadableStream;
  } catch (err) {
    throw notRunning(err, containerId) ?? mapEngineError(err, { endpoint: engine.endpoint, doing });
  }
  let setPid: (pid: number) => void = () => undefined;
  const pid = new Promise<number>((resolve) => (setPid = resolve));
  const stderr = new MarkerFilter(io.stderr, (p) => setPid(p));
  const drained = new Promise<void>((resolve, reject) => {
    const sink = demuxTo(io.stdout, stderr);
    sink.on('error', reject);
    sink.on('finish', () => resolve());
    stream.on('error', reject);
    stream.on('end', () => resolve());
    stream.pipe(sink);
  });
  const done = drained.then(async () => {
    setPid(0);
    for (let i = 0; i < 200; i++) {
      const info = await exec.inspect();
      if (!info.Running) return info.ExitCode ?? -1;
      await new Promise((r) => setTimeout(r, 50));
    }
    return -1;
  });
  done.catch(() => undefined);
  return {
    execId: exec.id,
    pid,
    done,
    async kill(graceMs = 2000) {
      const p = await Promise.race([pid, new Promise<number>((r) => setTimeout(() => r(0), 2000))]);
      if (p > 0) await killExecGroup(engine, containerId, exec.id, p, graceMs);
    },
  };
}

/**
 * The engine's answer when the container stopped or paused between the caller's last look and the
 * exec (409), as a typed error, so a caller can tell "nothing ran" from "the command failed".
 */
function notRunning(err: unknown, containerId: string): TargetStateError | undefined {
  if (statusOf(err) !== 409) return undefined;
  return new TargetStateError(`target not running: container ${containerId.slice(0, 12)} is not running`, { cause: err, code: 'ENOTRUNNING' });
}

/** Whether an exec is still running (false when it or its container is gone). */
export async function execRunning(engine: Engine, execId: string): Promise<boolean> {
  try {
    const info = await (await dockerOf(engine)).getExec(execId).inspect();
    return Boolean(info.Running);
  } catch (err) {
    if (statusOf(err) === 404) return false;
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: `inspecting exec ${execId.slice(0, 12)}` });
  }
}

async function signalGroup(engine: Engine, containerId: string, pid: number, signal: 'TERM' | 'KILL'): Promise<void> {
  const c = (await dockerOf(engine)).getContainer(containerId);
  const exec = await c.exec({ Cmd: ['sh', '-c', `kill -s ${signal} -- -${pid} 2>/dev/null || kill -s ${signal} ${pid} 2>/dev/null; true`], AttachStdout: true, AttachStderr: true });
  const s = (await exec.start({ hijack: true, stdin: false })) as unknown as NodeJS.ReadableStream;
  await new Promise<void>((resolve) => {
    s.on('end', resolve);
    s.on('error', () => resolve());
    s.resume();
  });
}

/**
 * End an exec'd job: TERM its process group, KILL it after `graceMs` if the exec still runs.
 * `execId` guards against a reused pid: nothing is signalled once that exec has ended.
 */
export async function killExecGroup(engine: Engine, containerId: string, execId: string, pid: number, graceMs = 2000): Promise<void> {
  if (!(await execRunning(engine, execId))) return;
  debug('TERM process group %d in %s', pid, containerId.slice(0, 12));
  try {
    await signalGroup(engine, containerId, pid, 'TERM');
    const end = Date.now() + graceMs;
    while (Date.now() < end) {
      if (!(await execRunning(engine, execId))) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    debug('KILL process group %d in %s', pid, containerId.slice(0, 12));
    await signalGroup(engine, containerId, pid, 'KILL');
  } catch (err) {
    if (statusOf(err) === 404 || statusOf(err) === 409) return; // container gone or stopped: so is the job
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: `ending a job in container ${containerId.slice(0, 12)}` });
  }
}
