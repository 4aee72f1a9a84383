/**
 * `dockside capture`: runs the netdebug sidecar's capture program in the target's network namespace
 * (NET_RAW and NET_ADMIN only, read-only root file system) and relays what it reports. The pcap goes
 * straight from the sidecar into the output file on the host (a bind mount of that one file), or
 * byte-exact to stdout for `-w -`; only small protocol events travel over the sidecar's stderr.
 */
import { createWriteStream } from 'node:fs';
import { chmod, open, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Writable } from 'node:stream';
import createDebug from 'debug';
import { InterruptedError, UserError, writeFailure, writeFailureHint, writeFailureMessage, type WriteFailure } from '@dockside/common';
import {
  EventReader,
  followEvents,
  resolveContainer,
  resolveRunningContainer,
  runSidecar,
  signalContainer,
  waitUntilRemoved,
  type Engine,
  type SidecarMount,
} from '@dockside/engine';
import { pausedNote } from './debug.js';
import type { CaptureDone, CaptureProgress, StopReason } from './events.js';
import type { CaptureStats } from './render.js';
import type { CaptureSummary } from './summary.js';

const debug = createDebug('dockside:netdebug');
const FILE_IN_SIDECAR = '/capture/capture.pcap';

export interface CaptureOptions {
  container: string;
  image: string;
  version: string;
  session: string;
  interface: string;
  filter?: string;
  snaplen: number;
  count?: number;
  durationMs?: number;
  /** A host path, or '-' for stdout. Neither: one line per packet on stdout (unless summary). */
  write?: string;
  summary: boolean;
  /** Ask for summary snapshots (with --summary) or statistics this often (live display). */
  progressIntervalMs?: number;
  limit?: number;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  onListening?: (e: CaptureProgress['listening'], target: string) => void;
  onSummary?: (s: CaptureSummary, stats: CaptureStats) => void;
  onStats?: (stats: CaptureStats, bytesWritten: number) => void;
  /** The target exited: the capture is being stopped. */
  onTargetExited?: (name: string) => void;
}

export interface CaptureResult {
  target: string;
  interface: string;
  filter: string;
  file: string | null;
  stoppedBy: StopReason;
  stats: CaptureStats;
  bytesWritten: number;
  summary?: CaptureSummary;
  /** Set when a signal stopped the capture (the caller picks the exit code). */
  signal?: NodeJS.Signals;
  /** Set when the pcap or the packet lines could not be written (a full disk): the caller fails. */
  outputFailure?: WriteFailure;
}

/**
 * Relays the sidecar's stdout to ours (or to the device or FIFO given to -w). If it goes away
 * (EPIPE: `| head`, Wireshark closed) or fails (ENOSPC: a full disk), the rest is discarded so the
 * attach stream never stalls, and `onClosed` gets the failure and asks the sidecar to stop.
 */
class Relay extends Writable {
  private gone = false;
  constructor(
    private readonly dest: NodeJS.WritableStream,
    private readonly onClosed: (f: WriteFailure) => void,
  ) {
    super();
    dest.on('error', (err: unknown) => this.close(writeFailure(err)));
  }
  private close(f: WriteFailure): void {
    if (this.gone) return;
    this.gone = true;
    this.onClosed(f);
  }
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void): void {
    if (this.gone) return cb();
    if (this.dest.write(chunk)) return cb();
    const done = () => {
      this.dest.off('drain', done);
      this.dest.off('error', done);
      cb();
    };
    this.dest.once('drain', done);
    this.dest.once('error', done);
  }
}

class Discard extends Writable {
  override _write(_c: Buffer, _e: BufferEncoding, cb: () => void): void {
    cb();
  }
}

/** Create (or truncate) the output file on the host, so a bad path fails before anything starts. */
async function prepareOutput(path: string): Promise<{ abs: string; restoreMode?: number; device?: true }> {
  const abs = resolve(path);
  // A device or FIFO (/dev/full, a named pipe to Wireshark) is written by the CLI from the
  // sidecar's stdout: the sidecar never mounts the host's devices.
  const existing = await stat(abs).catch(() => undefined);
  if (existing && (existing.isCharacterDevice() || existing.isFIFO())) return { abs, device: true };
  const dir = dirname(abs);
  const dst = await stat(dir).catch(() => undefined);
  if (!dst) throw new UserError(`cannot write ${path}: directory ${dir} does not exist`, { exitCode: 2, hint: 'create it first, or give another path' });
  if (!dst.isDirectory()) throw new UserError(`cannot write ${path}: ${dir} is not a directory`, { exitCode: 2, hint: 'give a path inside an existing directory' });
  const cur = await stat(abs).catch(() => undefined);
  if (cur?.isDirectory()) throw new UserError(`cannot write ${path}: it is a directory`, { exitCode: 2, hint: 'give a file name, e.g. capture.pcap' });
  try {
    const fh = await open(abs, 'w', 0o644);
    await fh.close();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(
      `cannot write ${path}: ${code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'read-only file system' : (code ?? String(err))}`,
      { exitCode: 2, hint: 'choose a path you can write to' },
    );
  }
  // The sidecar writes as root without CAP_DAC_OVERRIDE: a file owned by another user must be
  // writable by all while it runs; its mode is restored afterwards.
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    await chmod(abs, 0o666);
    return { abs, restoreMode: 0o644 };
  }
  return { abs };
}

/** The one line for a capture whose output could not be written: "cannot write x.pcap: no space left on device". */
export function outputFailureError(what: string, f: WriteFailure): UserError {
  const hint = writeFailureHint(f);
  return new UserError(writeFailureMessage(what, f), { exitCode: 1, code: f.code, ...(hint ? { hint } : {}) });
}

export async function runCapture(engine: Engine, opts: CaptureOptions): Promise<CaptureResult> {
  if (opts.write === '-' && 'isTTY' in opts.stdout && (opts.stdout as NodeJS.WriteStream).isTTY) {
    throw new UserError('refusing to write pcap bytes to a terminal', { exitCode: 2, hint: 'pipe it (`-w - | wireshark -k -i -`) or write a file with -w capture.pcap' });
  }
  const target = await resolveRunningContainer(engine, opts.container);
  // A paused container's network namespace is there to join; only its own processes are frozen.
  if (target.paused) opts.stderr.write(pausedNote(target.name));

  let out: { abs: string; restoreMode?: number; device?: true } | undefined;
  const mounts: SidecarMount[] = [];
  if (opts.write && opts.write !== '-') {
    out = await prepareOutput(opts.write);
    if (!out.device) mounts.push({ type: 'bind', source: out.abs, target: FILE_IN_SIDECAR });
  }
  const device = out?.device ? createWriteStream(out.abs, { flags: 'w' }) : undefined;
  const text = !opts.write && !opts.summary;
  const cmd = ['capture', '--interface', opts.interface, '--snaplen', String(opts.snaplen), '--stop-on-eof'];
  if (opts.filter) cmd.push('--filter', opts.filter);
  if (opts.count) cmd.push('--count', String(opts.count));
  if (opts.durationMs) cmd.push('--duration', String(opts.durationMs));
  if (out && !out.device) cmd.push('--out', FILE_IN_SIDECAR);
  else if (opts.write) cmd.push('--out', '-');
  if (opts.summary) cmd.push('--summary', '--limit', String(opts.limit ?? 20));
  if (opts.progressIntervalMs) cmd.push('--interval', String(opts.progressIntervalMs));
  if (text) cmd.push('--text');

  const events = new EventReader<CaptureProgress, CaptureDone>({
    onEvent: (e) => {
      if (e.type !== 'progress') return;
      if (e.name === 'listening') opts.onListening?.(e.data, target.name);
      else if (e.name === 'summary') opts.onSummary?.(e.data.summary, e.data.stats);
      else if (e.name === 'stats') opts.onStats?.(e.data.stats, e.data.bytesWritten);
    },
    onText: (line) => debug('sidecar: %s', line),
  });

  let signal: NodeJS.Signals | undefined;
  let exitCode = 0;
  let sidecarId: string | undefined;
  let outputClosed = false;
  let outputFailure: WriteFailure | undefined;
  const stdout =
    opts.write === '-' || text || device
      ? new Relay(device ?? opts.stdout, (f) => {
          outputClosed = true;
          if (f.kind !== 'closed') outputFailure = f;
          if (sidecarId) void signalContainer(engine, sidecarId, 'SIGINT').catch(() => undefined);
        })
      : new Discard();
  // The sidecar holds the target's network namespace open after the target has gone: watch the
  // target, and end the capture when it exits (its namespace sees no more traffic of its own).
  let targetExited = false;
  const targetGone = () => {
    if (targetExited) return;
    targetExited = true;
    opts.onTargetExited?.(target.name);
    if (sidecarId) void signalContainer(engine, sidecarId, 'SIGINT').catch(() => undefined);
  };
  const watch = followEvents(engine, {
    filters: { type: ['container'], container: [target.id], event: ['die', 'destroy'] },
    onEvent: () => targetGone(),
    // What happened before the stream was up: an inspect after each (re)connection.
    onConnect: () =>
      void resolveContainer(engine, target.id).then(
        (t) => (t.running ? undefined : targetGone()),
        () => targetGone(),
      ),
  });
  try {
    const r = await runSidecar(
      engine,
      {
        role: 'netdebug',
        image: opts.image,
        version: opts.version,
        session: opts.session,
        target,
        join: { network: true },
        capAdd: ['NET_RAW', 'NET_ADMIN'],
        readonlyRootfs: true,
        mounts,
        cmd,
        // Attached stdin that is never written: if the CLI dies, the program sees EOF and stops.
        stdin: true,
      },
      {
        stdout,
        stderr: events,
        stopGraceMs: 15_000,
        onStarted: (id) => {
          sidecarId = id;
          if (outputClosed || targetExited) void signalContainer(engine, id, 'SIGINT').catch(() => undefined);
        },
      },
    );
    exitCode = r.exitCode;
    if (r.removed) sidecarId = undefined; // the engine has removed it already
  } catch (err) {
    if (err instanceof InterruptedError && events.result) signal = err.signal;
    else throw err;
  } finally {
    watch.stop();
    if (out?.restoreMode !== undefined) await chmod(out.abs, out.restoreMode).catch(() => undefined);
    if (device && !device.closed)
      await new Promise<void>((r) => {
        device.once('close', () => r());
        device.end();
      });
    if (sidecarId) await waitUntilRemoved(engine, sidecarId);
  }
  await events.finish();
  if (events.error) throw events.failure('netdebug', exitCode);
  const done = events.result;
  if (!done) {
    const last = events.textTail.filter((l) => !/^Running as user/.test(l)).pop();
    throw new UserError(`the capture sidecar ended without a report (exit ${exitCode})${last ? `: ${last}` : ''}`, {
      exitCode: exitCode || 1,
      hint: 'run it again with DEBUG=dockside:netdebug to see everything the sidecar printed',
    });
  }
  return {
    target: target.name,
    interface: opts.interface,
    filter: opts.filter ?? '',
    file: out?.abs ?? (opts.write === '-' ? '-' : null),
    stoppedBy:
      outputFailure || done.outputFailure ? 'output-failed' : outputClosed ? 'output-closed' : targetExited && done.stoppedBy === 'signal' ? 'target-exited' : done.stoppedBy,
    stats: done.stats,
    bytesWritten: done.bytesWritten,
    ...(done.summary ? { summary: done.summary } : {}),
    ...(signal ? { signal } : {}),
    ...((outputFailure ?? done.outputFailure) ? { outputFailure: (outputFailure ?? done.outputFailure) as WriteFailure } : {}),
  };
}
