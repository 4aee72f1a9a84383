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
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import createDebug from 'debug';
import type Dockerode from 'dockerode';
import { InterruptedError, UserError } from '@dockside/common';
import type { TargetContainer } from './containers.js';
import { forceRemove } from './containers.js';
import { demuxTo } from './demux.js';
import type { Engine } from './engine.js';
import { parseEnvFile } from './env-file.js';
import { mapEngineError } from './errors.js';
import { loadTarStream } from './tar.js';
import { createLabels } from './labels.js';
import type { ApiAccess } from './api-proxy/types.js';
import { withApiProxy } from './api-proxy/start.js';

const debug = createDebug('dockside:sidecar');

export interface SidecarMount {
  type: 'bind' | 'volume' | 'tmpfs';
  source?: string;
  target: string;
  readOnly?: boolean;
}

export interface SidecarFile {
  /** Absolute path inside the sidecar. */
  path: string;
  content: Buffer | string;
  mode?: number;
}

export interface SidecarSpec {
  role: string;
  image: string;
  /** dockside version, recorded in the labels. */
  version: string;
  /** Per-invocation id, recorded in the labels. */
  session: string;
  target?: TargetContainer;
  join?: { volumes?: boolean; network?: boolean; pid?: boolean };
  cmd?: string[];
  entrypoint?: string[];
  env?: Record<string, string>;
  /** docker-style env files (KEY=VALUE lines), read on the host. */
  envFiles?: string[];
  /**
   * Files written into the container before it starts (through the archive API, so their content
   * never shows in `docker inspect` or argv). Use for secrets.
   */
  files?: SidecarFile[];
  mounts?: SidecarMount[];
  /** Capabilities to add; everything else is dropped. */
  capAdd?: string[];
  /** Host-network-less default: the engine's default bridge unless joined or set here. */
  networkMode?: string;
  /** Ports to publish: host address defaults to 127.0.0.1. */
  ports?: Array<{ containerPort: number; hostPort: number; hostIp?: string; protocol?: 'tcp' | 'udp' }>;
  tty?: boolean;
  stdin?: boolean;
  user?: string;
  workingDir?: string;
  readonlyRootfs?: boolean;
  name?: string;
  labels?: Record<string, string>;
  /** Extra HostConfig fields (e.g. resource limits). */
  hostConfig?: Partial<Dockerode.HostConfig>;
}

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
}

export async function buildCreateOptions(spec: SidecarSpec): Promise<Dockerode.ContainerCreateOptions> {
  const env: Record<string, string> = {};
  for (const f of spec.envFiles ?? []) {
    let text: string;
    try {
      text = await readFile(f, 'utf8');
    } catch (err) {
      throw new UserError(`cannot read env file ${f}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { exitCode: 2 });
    }
    Object.assign(env, parseEnvFile(text, f));
  }
  Object.assign(env, spec.env);

  const t = spec.target;
  const join = spec.join ?? {};
  if ((join.volumes || join.network || join.pid) && !t) throw new Error('sidecar spec joins a target but names none');

  const hostConfig: Dockerode.HostConfig = {
    AutoRemove: true,
    Init: true,
    CapDrop: ['ALL'],
    CapAdd: spec.capAdd ?? [],
    SecurityOpt: ['no-new-privileges'],
    ReadonlyRootfs: spec.readonlyRootfs ?? false,
    ...spec.hostConfig,
  };
  if (join.volumes && t) hostConfig.VolumesFrom = [t.id];
  if (join.network && t) hostConfig.NetworkMode = `container:${t.id}`;
  else if (spec.networkMode) hostConfig.NetworkMode = spec.networkMode;
  if (join.pid && t) hostConfig.PidMode = `container:${t.id}`;
  if (spec.mounts?.length) {
    hostConfig.Mounts = spec.mounts.map((m) => ({
      Type: m.type,
      Source: m.source ?? '',
      Target: m.target,
      ReadOnly: m.readOnly ?? false,
    }));
  }
  const exposed: Record<string, object> = {};
  if (spec.ports?.length) {
    hostConfig.PortBindings = {};
    for (const p of spec.ports) {
      const key = `${p.containerPort}/${p.protocol ?? 'tcp'}`;
      exposed[key] = {};
      hostConfig.PortBindings[key] = [{ HostIp: p.hostIp ?? '127.0.0.1', HostPort: String(p.hostPort) }];
    }
  }

  const opts: Dockerode.ContainerCreateOptions = {
    Image: spec.image,
    Labels: createLabels({
      role: spec.role,
      version: spec.version,
      session: spec.session,
      ...(t ? { target: { id: t.id, name: t.name } } : {}),
      ...(spec.labels ? { extra: spec.labels } : {}),
    }),
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    Tty: spec.tty ?? false,
    OpenStdin: spec.stdin ?? false,
    StdinOnce: spec.stdin ?? false,
    AttachStdin: spec.stdin ?? false,
    AttachStdout: true,
    AttachStderr: true,
    HostConfig: hostConfig,
  };
  if (Object.keys(exposed).length) opts.ExposedPorts = exposed;
  if (spec.cmd) opts.Cmd = spec.cmd;
  if (spec.entrypoint) opts.Entrypoint = spec.entrypoint;
  if (spec.user) opts.User = spec.user;
  if (spec.workingDir) opts.WorkingDir = spec.workingDir;
  opts.name = spec.name ?? sidecarName(spec.role, t?.name);
  return opts;
}

/** A readable, unique default name: dockside-<role>-<target>-<random>. Logic never relies on it (labels do). */
export function sidecarName(role: string, targetName?: string): string {
  const base = `dockside-${role}${targetName ? `-${targetName}` : ''}`.replace(/[^a-zA-Z0-9_.-]/g, '-').slice(0, 48);
  return `${base}-${randomBytes(3).toString('hex')}`;
}

/** Create the container and copy spec.files into it. Removes it again if the copy fails. */
async function createSidecar(engine: Engine, spec: SidecarSpec): Promise<Dockerode.Container> {
  const opts = await buildCreateOptions(spec);
  // AutoRemove would delete a container that never starts only on daemon restart; we remove it ourselves.
  let container: Dockerode.Container;
  try {
    container = await engine.docker.createContainer(opts);
  } catch (err) {
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: `creating the ${spec.role} sidecar`, image: spec.image });
  }
  if (spec.files?.length) {
    try {
      await container.putArchive(await packFiles(spec.files), { path: '/' });
    } catch (err) {
      await forceRemove(engine, container.id).catch(() => undefined);
      throw mapEngineError(err, { endpoint: engine.endpoint, doing: `preparing the ${spec.role} sidecar` });
    }
  }
  return container;
}

async function packFiles(files: SidecarFile[]): Promise<NodeJS.ReadableStream> {
  const tar = await loadTarStream();
  const pack = tar.pack();
  const dirs = new Set<string>();
  for (const f of files) {
    const parts = f.path.replace(/^\/+/, '').split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (!dirs.has(d)) {
        dirs.add(d);
        pack.entry({ name: `${d}/`, type: 'directory', mode: 0o755 });
      }
    }
    const body = typeof f.content === 'string' ? Buffer.from(f.content) : f.content;
    pack.entry({ name: parts.join('/'), mode: f.mode ?? 0o400, size: body.length }, body);
  }
  pack.finalize();
  return pack as unknown as NodeJS.ReadableStream;
}

/**
 * Run a sidecar to completion. Resolves with its exit code (non-zero exit codes are not errors:
 * the caller relays them). Rejects with a typed error when it cannot start, or InterruptedError
 * after a forwarded signal.
 */
export async function runSidecar(engine: Engine, spec: SidecarSpec, io: RunIO): Promise<RunResult> {
  let interrupted: NodeJS.Signals | undefined;
  let container: Dockerode.Container | undefined;
  let started = false;
  const cleanups: Array<() => void> = [];
  const cleanup = () => cleanups.splice(0).forEach((f) => f());
  const stopForSignal = (c: Dockerode.Container, sig: NodeJS.Signals) => {
    c.kill({ signal: sig }).catch(() => undefined);
    const t = setTimeout(() => void forceRemove(engine, c.id), io.stopGraceMs ?? 10_000);
    t.unref();
  };

  // Signal handlers go in first: a Ctrl-C during create/attach must not leave a created container.
  if (io.handleSignals !== false) {
    const onSignal = (sig: NodeJS.Signals) => {
      if (interrupted) {
        if (container) void forceRemove(engine, container.id); // second signal: remove now
        return;
      }
      interrupted = sig;
      debug('got %s', sig);
      if (container && started) stopForSignal(container, sig);
    };
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.on(sig, onSignal);
      cleanups.push(() => process.off(sig, onSignal));
    }
  }

  try {
    container = await createSidecar(engine, spec);
    const c = container;
    const id = c.id;
    debug('created %s sidecar %s', spec.role, id.slice(0, 12));
    if (interrupted) throw new InterruptedError(interrupted);

    const stream = (await c.attach({
      stream: true,
      stdout: true,
      stderr: true,
      stdin: spec.stdin ?? false,
      hijack: spec.stdin ?? false,
    })) as unknown as NodeJS.ReadWriteStream;

    const outputDone = new Promise<void>((resolve, reject) => {
      const sink = spec.tty ? passTo(io.stdout) : demuxTo(io.stdout, io.stderr);
      sink.on('error', reject);
      sink.on('finish', resolve);
      stream.on('error', reject);
      stream.on('end', () => resolve());
      stream.pipe(sink);
    });
    outputDone.catch(() => undefined);

    const exited = c.wait({ condition: 'next-exit' }) as Promise<{ StatusCode: number }>;
    exited.catch(() => undefined);

    if (spec.stdin && io.stdin) {
      io.stdin.pipe(stream as unknown as NodeJS.WritableStream);
      io.stdin.on('end', () => {
        // Half-close so the sidecar sees EOF on its stdin.
        (stream as unknown as { end?: () => void }).end?.();
      });
      cleanups.push(() => io.stdin?.unpipe(stream as unknown as NodeJS.WritableStream));
    }

    // A TTY is sized once the container runs (a resize before start is refused), then on every change.
    let resizeNow: (() => void) | undefined;
    if (spec.tty && process.stdout.isTTY) {
      const resize = () => {
        c.resize({ h: process.stdout.rows, w: process.stdout.columns }).catch((err: unknown) => debug('resize failed: %s', (err as Error).message));
      };
      process.stdout.on('resize', resize);
      cleanups.push(() => process.stdout.off('resize', resize));
      resizeNow = resize;
    }

    if (interrupted) throw new InterruptedError(interrupted);
    try {
      await c.start();
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
    if (interrupted) stopForSignal(c, interrupted); // the signal came while it was starting
    io.onStarted?.(id);

    let exitCode: number;
    try {
      exitCode = (await exited).StatusCode;
    } catch (err) {
      if (interrupted) throw new InterruptedError(interrupted);
      throw mapEngineError(err, { endpoint: engine.endpoint, doing: `waiting for the ${spec.role} sidecar` });
    }
    // Let the tail of the output through; a stream that never ends must not hang us.
    await Promise.race([outputDone, delay(3000)]);
    if (interrupted) throw new InterruptedError(interrupted);
    debug('%s sidecar %s exited %d', spec.role, id.slice(0, 12), exitCode);
    return { id, exitCode };
  } finally {
    cleanup();
    if (container) await forceRemove(engine, container.id).catch((err) => debug('remove failed: %O', err));
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

export interface ServiceSpec extends SidecarSpec {
  /** Restart policy for the long-running service (default unless-stopped). */
  restart?: 'no' | 'on-failure' | 'unless-stopped' | 'always';
  /**
   * The Docker API calls the service may make. When set, it gets no engine socket: it reaches the
   * engine through its own api-proxy (api-proxy/start.ts) that allows these calls and refuses
   * everything else; removing the service (`removeWithAnonymousVolumes`) removes the proxy too.
   */
  apiAccess?: ApiAccess;
}

/**
 * Start a long-running sidecar (a service: metrics exporter, log shipper, scheduler) detached. It
 * is not auto-removed; `ready` is awaited and, if it throws, the container is removed before rethrow.
 */
export async function startService(
  engine: Engine,
  spec: ServiceSpec,
  ready?: (id: string) => Promise<void>,
): Promise<{ id: string }> {
  if (spec.apiAccess) return withApiProxy(engine, spec, (s) => startService(engine, s, ready));
  const container = await createSidecar(engine, {
    ...spec,
    hostConfig: {
      ...spec.hostConfig,
      AutoRemove: false,
      RestartPolicy: { Name: spec.restart ?? 'unless-stopped', MaximumRetryCount: 0 },
    },
  });
  try {
    await container.start();
    if (ready) await ready(container.id);
    return { id: container.id };
  } catch (err) {
    await forceRemove(engine, container.id).catch(() => undefined);
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: `starting the ${spec.role} service` });
  }
}
