/**
 * `api-proxy`: the subcommand every dockside sidecar image answers (through runProgram), so any
 * image can serve as its service's filtering Docker API proxy and no extra image is needed.
 *
 *   api-proxy [--listen /run/dockside-api/docker.sock] [--upstream /var/run/docker.sock]
 *             [--rules-file F | env DOCKSIDE_API_RULES=<json>] [--role R | env DOCKSIDE_API_ROLE]
 *             [--gid G | env DOCKSIDE_API_SOCKET_GID] [env DOCKSIDE_API_CREATE_POLICY=<json>]
 *
 * Once listening it reports a `ready` progress event (the engine waits for it before starting
 * the service), then runs until SIGTERM/SIGINT.
 */
import { readFile } from 'node:fs/promises';
import { UsageError, parseApiRules, parseCreatePolicy, type ApiRule, type CreatePolicy } from '@dockside/common';
import { startApiProxy } from './api-proxy.js';
import { flag } from './args.js';
import { EventWriter } from './events.js';

export const API_PROXY_DEFAULTS = {
  listen: '/run/dockside-api/docker.sock',
  upstream: '/var/run/docker.sock',
} as const;

async function loadRules(args: string[], env: NodeJS.ProcessEnv): Promise<ApiRule[]> {
  const file = flag(args, '--rules-file');
  let json = env['DOCKSIDE_API_RULES'];
  if (file) {
    try {
      json = await readFile(file, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read rules file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  if (!json) throw new UsageError('api-proxy needs its rules', { hint: 'set DOCKSIDE_API_RULES to a JSON array of {"method","path"} or pass --rules-file' });
  try {
    return parseApiRules(json);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function loadCreatePolicy(env: NodeJS.ProcessEnv): CreatePolicy | undefined {
  const json = env['DOCKSIDE_API_CREATE_POLICY'];
  if (!json) return undefined;
  try {
    return parseCreatePolicy(json);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export async function apiProxyCommand(args: string[], defaultRole: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const rules = await loadRules(args, env);
  const createPolicy = loadCreatePolicy(env);
  const role = flag(args, '--role') ?? env['DOCKSIDE_API_ROLE'] ?? defaultRole;
  const gidRaw = flag(args, '--gid') ?? env['DOCKSIDE_API_SOCKET_GID'];
  const gid = gidRaw === undefined || gidRaw === '' ? undefined : Number(gidRaw);
  if (gid !== undefined && (!Number.isInteger(gid) || gid < 0 || gid > 2 ** 31)) throw new UsageError(`--gid must be a group id (got "${gidRaw}")`);
  const listen = flag(args, '--listen') ?? API_PROXY_DEFAULTS.listen;
  const log = (msg: string) => process.stderr.write(`dockside-api-proxy(${role}): ${msg}\n`);
  const proxy = await startApiProxy({
    listen,
    upstream: flag(args, '--upstream') ?? API_PROXY_DEFAULTS.upstream,
    rules,
    ...(createPolicy ? { createPolicy } : {}),
    role,
    ...(gid !== undefined ? { socketGid: gid } : {}),
    log,
  });
  new EventWriter().progress('ready', { socket: listen, rules: rules.length, role });
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      const c = proxy.counts();
      log(`got ${sig}, stopping (forwarded ${c.forwarded}, refused ${c.refused}, engine errors ${c.upstreamErrors})`);
      void proxy.close().then(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
