/**
 * A shell command run in a container through the exec API, as a job that can be ended for real.
 * Every process it starts is tagged: the exec's environment carries `DOCKSIDE_EXEC_JOB=<random>`,
 * which children inherit, and the kernel keeps a process's initial environment in
 * /proc/<pid>/environ whatever it does with its session or process group (`setsid cmd &`,
 * `nohup`, a double fork). `kill` runs a second exec in the container that finds the tagged
 * processes there (readable for the container's own user, no extra privilege) and signals each,
 * plus the command's process group (its pid is reported on a marker line the caller never sees):
 * TERM, then KILL after a grace period, and it returns only once no tagged process is left, so a
 * timed-out or replaced job leaves nothing behind (`docker top` shows it gone). What escapes: a
 * process that drops its environment (`env -i`) or changes user, and then its own process group.
 * The target needs a POSIX `sh` and `tr` (as `--exec` of backups needs `sh`).
 *
 * The connection to the engine may drop while the job runs (an api-proxy in between restarts):
 * the job goes on in its container, so a lost output stream is noted in its output and the exit
 * code is still awaited (exec inspect, retried until the engine answers again); an exec that
 * could not be created or started because nobody answered is retried for a few seconds.
 */
import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import createDebug from 'debug';
import { dockerOf } from '../connection/client.js';
import type { Engine } from '../connection/engine.js';
import { demuxTo } from '../streams/demux.js';
import { TargetStateError } from '@dockside/common';
import { mapEngineError, statusOf } from '../connection/errors.js';

const debug = createDebug('dockside:exec-job');

/** The connection was refused or dropped (nothing said whether the request was done). */
function connectionLost(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code;
  return code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'ECONNRESET' || code === 'EPIPE';
}

/** Never connected (refused, or no socket yet): safe to send again. */
function notConnected(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code;
  return code === 'ECONNREFUSED' || code === 'ENOENT';
}

/** `fn`, again every 500 ms while `again(err)` (default: the engine refuses the connection), for up to `ms`. */
async function whileRefused<T>(fn: () => Promise<T>, ms = 15_000, again: (err: unknown) => boolean = notConnected): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!again(err) || Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
const PID_MARK = '@dockside-exec-pid ';
/** The environment variable tagging a job's processes. */
export const EXEC_JOB_TAG = 'DOCKSIDE_EXEC_JOB';

export interface ExecJob {
  execId: string;
  /** The tag in the environment of every process the job starts (`DOCKSIDE_EXEC_JOB=<tag>`). */
  tag: string;
  /** The command's pid inside the container (its process group id). */
  pid: Promise<number>;
  /** Resolves with the exit code once the command has exited and its output is drained. */
  done: Promise<number>;
  /**
   * True when the connection dropped while the job started and its command never reported its
   * pid, and the engine says the exec could not run (126): it did not start, nothing ran.
   */
  neverStarted(): boolean;
  /** TERM every process of the job, KILL what is left after `graceMs`; resolves once none is left. */
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
  const tag = randomBytes(8).toString('hex');
  let exec;
  try {
    // An exec create runs nothing (only its start does): sent again when the connection dropped
    // mid-request too (an api-proxy restarting), at worst leaving an exec the engine never runs.
    exec = await whileRefused(() => container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, Tty: false, Env: [`${EXEC_JOB_TAG}=${tag}`] }), 15_000, connectionLost);
  } catch (err) {
    throw notRunning(err, containerId) ?? mapEngineError(err, { endpoint: engine.endpoint, doing, subject: `container ${containerId.slice(0, 12)}` });
  }
  let stream: NodeJS.ReadableStream;
  let lostAtStart = false;
  try {
    const e = exec;
    // The connection dropped during the start (an api-proxy restarting): the exec says whether it
    // ran. If not, it is started again; if it did, its output is lost but its exit code is not.
    const startOnce = async (): Promise<NodeJS.ReadableStream> => {
      for (;;) {
        try {
          return (await whileRefused(() => e.start({ hijack: true, stdin: false }))) as unknown as NodeJS.ReadableStream;
        } catch (err) {
          if (!connectionLost(err)) throw err;
          const info = await whileRefused(() => e.inspect(), 15_000, connectionLost);
          if (info.Running || info.ExitCode !== null || (info.Pid ?? 0) > 0) {
            lostAtStart = true;
            return Readable.from([]);
          }
          debug('exec %s: the connection dropped before it started; starting it again', e.id.slice(0, 12));
        }
      }
    };
    stream = await startOnce();
  } catch (err) {
    throw notRunning(err, containerId) ?? mapEngineError(err, { endpoint: engine.endpoint, doing });
  }
  const started = exec;
  let setPid: (pid: number) => void = () => undefined;
  const pid = new Promise<number>((resolve) => (setPid = resolve));
  let pidSeen = false;
  let exitCode: number | undefined;
  const stderr = new MarkerFilter(io.stderr, (p) => {
    pidSeen = true;
    setPid(p);
  });
  let cut = lostAtStart;
  const drained = new Promise<void>((resolve, reject) => {
    const sink = demuxTo(io.stdout, stderr);
    sink.on('error', reject);
    sink.on('finish', () => resolve());
    // The connection dropped: the job goes on; its exit code is still awaited below.
    stream.on('error', (err) => {
      if (!connectionLost(err)) return reject(err);
      cut = true;
      resolve();
    });
    stream.on('end', () => resolve());
    stream.pipe(sink);
  });
  const done = drained.then(async () => {
    setPid(0);
    const t0 = Date.now();
    let noted = false;
    // Output ends with the command, unless the command closed its own, or the connection dropped.
    for (;;) {
      let info;
      try {
        info = await started.inspect();
      } catch (err) {
        if (!connectionLost(err)) throw err;
        cut = true;
        info = undefined; // the engine (or the proxy to it) is away for now: ask again
      }
      if (info && !info.Running) return (exitCode = info.ExitCode ?? -1);
      if (!noted && cut) {
        noted = true;
        io.stderr.write(Buffer.from('dockside: the output stream of this job was cut (the connection to the engine dropped); the job goes on, its further output is lost\n'));
      }
      await new Promise((r) => setTimeout(r, Date.now() - t0 < 2000 ? 50 : 500));
    }
  });
  done.catch(() => undefined);
  return {
    execId: started.id,
    tag,
    pid,
    done,
    neverStarted: () => cut && !pidSeen && exitCode === 126,
    async kill(graceMs = 2000) {
      const p = await Promise.race([pid, new Promise<number>((r) => setTimeout(() => r(0), 2000))]);
      await endExecJob(engine, containerId, { execId: started.id, pid: p, tag }, graceMs);
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

/**
 * Run in the container: signal (or, with 0, only count) every process whose environment carries
 * the tag, and the process group `pgid` when given; prints how many tagged processes it found.
 * Zombies have an empty environ and are not counted. The script's own processes lack the tag.
 */
const SIGNAL_SCRIPT = [
  't="$1"; s="$2"; g="$3"; n=0',
  'if [ -n "$g" ] && [ "$s" != 0 ]; then kill -s "$s" -- "-$g" 2>/dev/null || kill -s "$s" "$g" 2>/dev/null; fi',
  'for d in /proc/[0-9]*; do',
  '  e=$(tr "\\000" "\\n" < "$d/environ" 2>/dev/null) || continue',
  '  case "$e" in *"$t"*) ;; *) continue ;; esac',
  '  [ "$s" = 0 ] || kill -s "$s" "${d#/proc/}" 2>/dev/null',
  '  n=$((n+1))',
  'done',
  'echo "$n"',
].join('\n');

async function signalJob(engine: Engine, containerId: string, job: { tag?: string; pid?: number }, signal: 'TERM' | 'KILL' | '0'): Promise<number> {
  const c = (await dockerOf(engine)).getContainer(containerId);
  const exec = await c.exec({
    Cmd: ['sh', '-c', SIGNAL_SCRIPT, 'sh', job.tag ? `${EXEC_JOB_TAG}=${job.tag}` : `${EXEC_JOB_TAG}=-none-`, signal, job.pid && job.pid > 1 ? String(job.pid) : ''],
    AttachStdout: true,
    AttachStderr: true,
  });
  const s = (await exec.start({ hijack: true, stdin: false })) as unknown as NodeJS.ReadableStream;
  let out = '';
  const collect = new Writable({
    write(chunk: Buffer, _e, cb) {
      if (out.length < 64) out += chunk.toString('latin1');
      cb();
    },
  });
  await new Promise<void>((resolve) => {
    const sink = demuxTo(collect, new Writable({ write: (_c, _e, cb) => cb() }));
    sink.on('finish', () => resolve());
    sink.on('error', () => resolve());
    s.on('end', () => resolve());
    s.on('error', () => resolve());
    s.pipe(sink);
  });
  const n = Number(out.trim().split('\n').pop());
  return Number.isInteger(n) ? n : 0;
}

export interface ExecJobRef {
  execId: string;
  /** The command's pid (its process group); 0 when unknown. */
  pid?: number;
  /** The tag in its processes' environment (startExecJob's `tag`); absent for a job started without one. */
  tag?: string;
}

/**
 * End an exec'd job: TERM its tagged processes and its process group, KILL whatever is left after
 * `graceMs`, and resolve once no tagged process is left (within a few seconds more). The process
 * group is signalled only while `execId` still runs (a reused pid is left alone); tagged processes
 * are found by their tag, which no unrelated process carries.
 */
export async function endExecJob(engine: Engine, containerId: string, job: ExecJobRef, graceMs = 2000): Promise<void> {
  const group = async () => (job.pid && job.pid > 0 && (await execRunning(engine, job.execId)) ? job.pid : 0);
  try {
    debug('TERM job %s (group %d) in %s', job.tag ?? job.execId.slice(0, 12), job.pid ?? 0, containerId.slice(0, 12));
    let left = await signalJob(engine, containerId, { ...(job.tag ? { tag: job.tag } : {}), pid: await group() }, 'TERM');
    const end = Date.now() + graceMs;
    while (Date.now() < end) {
      if (left === 0 && !(await group())) return;
      await new Promise((r) => setTimeout(r, 200));
      left = job.tag ? await signalJob(engine, containerId, { tag: job.tag }, '0') : 0;
    }
    debug('KILL job %s (group %d) in %s', job.tag ?? job.execId.slice(0, 12), job.pid ?? 0, containerId.slice(0, 12));
    const stop = Date.now() + 5000;
    do {
      left = await signalJob(engine, containerId, { ...(job.tag ? { tag: job.tag } : {}), pid: await group() }, 'KILL');
      if (left === 0) return;
      await new Promise((r) => setTimeout(r, 100));
    } while (Date.now() < stop);
    debug('job %s: %d process(es) still there after KILL', job.tag, left);
  } catch (err) {
    if (statusOf(err) === 404 || statusOf(err) === 409) return; // container gone or stopped: so is the job
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: `ending a job in container ${containerId.slice(0, 12)}` });
  }
}
