/**
 * Creating a sidecar container: the create options built from a spec (labels, joins, every capability
 * dropped but those asked for, ports on 127.0.0.1), and the container itself with its files copied in
 * before it starts.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type Dockerode from 'dockerode';
import { BugError, UsageError } from '@dockside/common';
import { dockerOf } from '../connection/client.js';
import type { Engine } from '../connection/engine.js';
import { mapEngineError } from '../connection/errors.js';
import { containerApi } from '../containers/api.js';
import { createLabels } from '../containers/labels.js';
import { forceRemove } from '../containers/lifecycle.js';
import type { TargetContainer } from '../containers/resolve.js';
import { loadTarStream } from '../streams/tar.js';
import { parseEnvFile } from './env-file.js';
import { checkHostBinds } from './host-paths.js';

export interface SidecarMount {
  type: 'bind' | 'volume' | 'tmpfs';
  source?: string;
  target: string;
  readOnly?: boolean;
  /**
   * dockside's own bind of a host interface it means to hand over (the engine socket to the
   * api-proxy, /proc and /sys/fs/cgroup read-only to the metrics reader): exempt from the host-path
   * rule (sidecars/host-paths.ts) every other bind is checked against. Never for a path a user gave.
   */
  hostInterface?: boolean;
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

export async function buildCreateOptions(spec: SidecarSpec): Promise<Dockerode.ContainerCreateOptions> {
  const env: Record<string, string> = {};
  for (const f of spec.envFiles ?? []) {
    let text: string;
    try {
      text = await readFile(f, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (code ?? String(err));
      throw new UsageError(`cannot read env file ${f}: ${why}`, { hint: 'give a file of KEY=VALUE lines (--env-file, repeatable)' });
    }
    Object.assign(env, parseEnvFile(text, f));
  }
  Object.assign(env, spec.env);

  const t = spec.target;
  const join = spec.join ?? {};
  if ((join.volumes || join.network || join.pid) && !t) throw new BugError('sidecar spec joins a target but names none');

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

/**
 * Create the container and copy spec.files into it. Removes it again if the copy fails. Resolves
 * with its id, and whether the engine removes it by itself once it exits (AutoRemove).
 */
export async function createSidecar(engine: Engine, spec: SidecarSpec): Promise<{ id: string; autoRemove: boolean }> {
  await checkHostBinds(engine, spec.role, spec.mounts);
  const opts = await buildCreateOptions(spec);
  // AutoRemove would delete a container that never starts only on daemon restart; we remove it ourselves.
  let id: string;
  try {
    id = await containerApi(engine).create(opts);
  } catch (err) {
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: `creating the ${spec.role} sidecar`, image: spec.image });
  }
  if (spec.files?.length) {
    try {
      await (await dockerOf(engine)).getContainer(id).putArchive(await packFiles(spec.files), { path: '/' });
    } catch (err) {
      await forceRemove(engine, id).catch(() => undefined);
      throw mapEngineError(err, { endpoint: engine.endpoint, doing: `preparing the ${spec.role} sidecar` });
    }
  }
  return { id, autoRemove: opts.HostConfig?.AutoRemove === true };
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
