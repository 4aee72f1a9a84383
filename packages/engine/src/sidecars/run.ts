/**
 * Running a sidecar: a container from a dockside image, joined to a target's volumes, network and/or
 * PID namespace, with its output streamed back (demuxed), its exit code relayed, signals forwarded
 * and the container always removed.
 *
 * Guarantees:
 * - Never leaves a half-started sidecar: if create/attach/start fails, it is removed before rethrow.
 * - SIGINT/SIGTERM/SIGHUP to the CLI are forwarded to the sidecar; it is removed, then the run fails
 *   with InterruptedError (exit 130/143).
 * - If the CLI is killed outright (SIGKILL), AutoRemove removes the sidecar when it exits, and a
 *   sidecar with `stdin: true` sees EOF on its stdin at once.
 */
import { PassThrough } from 'node:stream';
import createDebug from 'debug';
import { InterruptedError } from '@dockside/common';
import type { Engine } from '../connection/engine.js';
import { mapEngineError } from '../connection/errors.js';
import { containerApi } from '../containers/api.js';
import { forceRemove } from '../containers/lifecycle.js';
import { demuxTo } from '../streams/demux.js';
import { createSidecar, type SidecarSpec } from './create.js';

const debug = createDebug('dockside:sidecar');

export interface RunIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Piped to the sidecar's stdin when spec.stdin is set. */
  stdin?: NodeJS.ReadableStream;
  /** Forward SIGINT/SIGTERM/SIGHUP to the sidecar (default true). */
  handleSignals?: boolean;
  /** Called with the container id once it is running. */
  onStarted?: (id: string) => void;
  /** Grace period before a signalled sidecar is force-removed (default 10 s). */
  stopGraceMs?: number;
}

export interface RunResult {
  id: string;
  exitCode: number;
  /** The sidecar is already gone (the engine removed it, and the wait lasted until it had). */
  removed: boolean;
}

/**
 * Run a sidecar to completion. Resolves with its exit code (non-zero exit codes are not errors:
 * the caller relays them). Rejects with a typed error when it cannot start, or InterruptedError
 * after a forwarded signal.
 */
export async function runSidecar(engine: Engine, spec: SidecarSpec, io: RunIO): Promise<RunResult> {
  const api = containerApi(engine);
  let interrupted: NodeJS.Signals | undefined;
  let id: string | undefined;
  let started = false;
  let removed = false;
  const cleanups: Array<() => void> = [];
  const cleanup = () => cleanups.splice(0).forEach((f) => f());
  const stopForSignal = (cid: string, sig: NodeJS.Signals) => {
    api.kill(cid, sig).catch(() => undefined);
    const t = setTimeout(() => void forceRemove(engine, cid), io.stopGraceMs ?? 10_000);
    t.unref();
  };

  // Signal handlers go in first: a Ctrl-C during create/attach must not leave a created container.
  if (io.handleSignals !== false) {
    const onSignal = (sig: NodeJS.Signals) => {
      if (interrupted) {
        if (id) void forceRemove(engine, id); // second signal: remove now
        return;
      }
      interrupted = sig;
      debug('got %s', sig);
      if (id && started) stopForSignal(id, sig);
    };
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.on(sig, onSignal);
      cleanups.push(() => process.off(sig, onSignal));
    }
  }

  try {
    const created = await createSidecar(engine, spec);
    const cid = created.id;
    id = cid;
    debug('created %s sidecar %s', spec.role, cid.slice(0, 12));
    if (interrupted) throw new InterruptedError(interrupted);

    // As `docker run` does: attach and register the wait (both at once), then start. A sidecar the
    // engine removes by itself is waited for until it is gone, so no remove and no polling follow.
    const condition = created.autoRemove ? 'removed' : 'next-exit';
    const [stream, waiting] = await Promise.all([api.attach(cid, spec.stdin ?? false), api.wait(cid, condition)]);

    const outputDone = new Promise<void>((resolve, reject) => {
      const sink = spec.tty ? passTo(io.stdout) : demuxTo(io.stdout, io.stderr);
      sink.on('error', reject);
      sink.on('finish', resolve);
      stream.on('error', reject);
      stream.on('end', () => resolve());
      stream.pipe(sink);
    });
    outputDone.catch(() => undefined);

    if (spec.stdin && io.stdin) {
      io.stdin.pipe(stream as unknown as NodeJS.WritableStream);
      io.stdin.on('end', () => {
        // Half-close so the sidecar sees EOF on its stdin.
        (stream as unknown as { end?: () => void }).end?.();
      });
      cleanups.push(() => io.stdin?.unpipe(stream as unknown as NodeJS.WritableStream));
    }
    // The attach connection is ours to close once the sidecar is done (a hijacked socket stays open).
    cleanups.push(() => (stream as unknown as { destroy?: () => void }).destroy?.());

    // A TTY is sized once the container runs (a resize before start is refused), then on every change.
    let resizeNow: (() => void) | undefined;
    if (spec.tty && process.stdout.isTTY) {
      const resize = () => {
        api.resize(cid, process.stdout.rows, process.stdout.columns).catch((err: unknown) => debug('resize failed: %s', (err as Error).message));
      };
      process.stdout.on('resize', resize);
      cleanups.push(() => process.stdout.off('resize', resize));
      resizeNow = resize;
    }

    if (interrupted) throw new InterruptedError(interrupted);
    try {
      await api.start(cid);
    } catch (err) {
      throw mapEngineError(err, { endpoint: engine.endpoint, doing: `starting the ${spec.role} sidecar` });
    }
    started = true;
    if (resizeNow) {
      // As the docker CLI does: the engine may not apply a resize sent right after start, so repeat
      // it shortly after (the same size again changes nothing).
      resizeNow();
      for (const ms of [100, 400]) setTimeout(resizeNow, ms).unref();
    }
    if (interrupted) stopForSignal(cid, interrupted); // the signal came while it was starting
    io.onStarted?.(cid);

    let exitCode: number;
    try {
      exitCode = (await waiting.exited).StatusCode;
      removed = condition === 'removed';
    } catch (err) {
      if (interrupted) throw new InterruptedError(interrupted);
      throw mapEngineError(err, { endpoint: engine.endpoint, doing: `waiting for the ${spec.role} sidecar` });
    }
    // Let the tail of the output through; a stream that never ends must not hang us.
    await Promise.race([outputDone, delay(3000)]);
    if (interrupted) throw new InterruptedError(interrupted);
    debug('%s sidecar %s exited %d', spec.role, cid.slice(0, 12), exitCode);
    return { id: cid, exitCode, removed };
  } finally {
    cleanup();
    if (id && !removed) await forceRemove(engine, id).catch((err) => debug('remove failed: %O', err));
  }
}

function passTo(dest: NodeJS.WritableStream): NodeJS.WritableStream & NodeJS.EventEmitter {
  const p = new PassThrough();
  p.pipe(dest, { end: false });
  return p;
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
