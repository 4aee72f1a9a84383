/**
 * `dockside run`: any command in a sidecar joined to a container, the generic form of what every
 * dockside sidecar does. Output is streamed, the exit code relayed, signals forwarded, and the
 * sidecar removed however the run ends.
 */
import { ROLE, TargetStateError, UsageError } from '@dockside/common';
import { resolveContainer, runSidecar, type Engine, type SidecarMount } from '@dockside/engine';

export interface RunOptions {
  target: string;
  image: string;
  command: string[];
  join: { volumes: boolean; network: boolean; pid: boolean };
  mounts: SidecarMount[];
  capAdd: string[];
  envFiles: string[];
  env: Record<string, string>;
  tty: boolean;
  interactive: boolean;
  user?: string;
  version: string;
  session: string;
}

/** Parse a `--mount` value: `type=bind,source=/x,target=/y,readonly` (docker's syntax, short keys too). */
export function parseMount(spec: string): SidecarMount {
  const m: Partial<SidecarMount> & { type?: SidecarMount['type'] } = {};
  for (const part of spec.split(',')) {
    const [k = '', v] = part.split('=', 2) as [string, string | undefined];
    switch (k.trim()) {
      case 'type':
        if (v !== 'bind' && v !== 'volume' && v !== 'tmpfs') throw new UsageError(`--mount "${spec}": type must be bind, volume or tmpfs`);
        m.type = v;
        break;
      case 'source':
      case 'src':
        m.source = v ?? '';
        break;
      case 'target':
      case 'dst':
      case 'destination':
        m.target = v ?? '';
        break;
      case 'readonly':
      case 'ro':
        m.readOnly = v === undefined || v === 'true' || v === '1';
        break;
      default:
        throw new UsageError(`--mount "${spec}": unknown key "${k}"`, { hint: 'use type=bind|volume|tmpfs,source=...,target=...[,readonly]' });
    }
  }
  if (!m.target?.startsWith('/')) throw new UsageError(`--mount "${spec}": target must be an absolute path`);
  if (m.type !== 'tmpfs' && !m.source) throw new UsageError(`--mount "${spec}": source is missing`);
  return { type: m.type ?? 'bind', target: m.target, ...(m.source ? { source: m.source } : {}), ...(m.readOnly ? { readOnly: true } : {}) };
}

/** Parse `KEY=VALUE` pairs from `--env`. */
export function parseEnvPairs(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`--env "${p}" is not KEY=VALUE`);
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}

export async function runInSidecar(engine: Engine, o: RunOptions): Promise<number> {
  if (o.command.length === 0) throw new UsageError('no command given', { hint: 'put the command after --, e.g. `dockside run web --net -- ip addr`' });
  const target = await resolveContainer(engine, o.target);
  if ((o.join.network || o.join.pid) && !target.running) {
    throw new TargetStateError(`container "${target.name}" is not running (${target.status}); --net and --pid need a running target`, {
      hint: `start it first: docker start ${target.name}`,
    });
  }
  const [entry, ...args] = o.command as [string, ...string[]];
  const { exitCode } = await runSidecar(
    engine,
    {
      role: ROLE.run,
      image: o.image,
      version: o.version,
      session: o.session,
      target,
      join: o.join,
      entrypoint: [entry],
      cmd: args,
      mounts: o.mounts,
      capAdd: o.capAdd,
      envFiles: o.envFiles,
      env: o.env,
      tty: o.tty,
      stdin: o.interactive,
      ...(o.user ? { user: o.user } : {}),
    },
    { stdout: process.stdout, stderr: process.stderr, ...(o.interactive ? { stdin: process.stdin } : {}) },
  );
  return exitCode;
}
