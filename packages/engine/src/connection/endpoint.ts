/**
 * Where the Docker engine is, worked out the way the docker CLI does it: `DOCKER_HOST` (unix://,
 * tcp:// with `DOCKER_TLS_VERIFY`/`DOCKER_CERT_PATH`, ssh://), else the default local socket.
 * Pure: reads only the env object it is given; certificate files are read later, by the client.
 */
import { UsageError } from '@dockside/common';
import { homedir } from 'node:os';
import { join } from 'node:path';

export type EndpointKind = 'unix' | 'tcp' | 'ssh';

export interface EngineEndpoint {
  kind: EndpointKind;
  /** What we tell the user we tried, e.g. `unix:///var/run/docker.sock`. */
  display: string;
  socketPath?: string;
  host?: string;
  port?: number;
  username?: string;
  tls?: { verify: boolean; certPath: string };
}

export const DEFAULT_SOCKET = '/var/run/docker.sock';

export function endpointFromEnv(env: NodeJS.ProcessEnv): EngineEndpoint {
  const raw = env['DOCKER_HOST']?.trim();
  if (!raw) return { kind: 'unix', display: `unix://${DEFAULT_SOCKET}`, socketPath: DEFAULT_SOCKET };

  const bad = (why: string) =>
    new UsageError(`DOCKER_HOST="${raw}" ${why}`, {
      hint: 'use unix:///path/to/docker.sock, tcp://host:2376 or ssh://user@host',
    });

  if (raw.startsWith('unix://')) {
    const socketPath = raw.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw bad('must name an absolute socket path');
    return { kind: 'unix', display: raw, socketPath };
  }
  if (raw.startsWith('/')) return { kind: 'unix', display: `unix://${raw}`, socketPath: raw };

  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw bad('is not a valid address');
  }
  if (url.protocol === 'tcp:' || url.protocol === 'http:' || url.protocol === 'https:') {
    const verify = truthy(env['DOCKER_TLS_VERIFY']);
    const useTls = verify || url.protocol === 'https:' || Boolean(env['DOCKER_CERT_PATH']);
    const port = url.port ? Number(url.port) : useTls ? 2376 : 2375;
    if (!url.hostname) throw bad('has no host name');
    const endpoint: EngineEndpoint = {
      kind: 'tcp',
      display: `tcp://${url.hostname}:${port}${useTls ? ' (TLS)' : ''}`,
      host: url.hostname,
      port,
    };
    if (useTls) endpoint.tls = { verify, certPath: env['DOCKER_CERT_PATH'] || join(homedir(), '.docker') };
    return endpoint;
  }
  if (url.protocol === 'ssh:') {
    if (!url.hostname) throw bad('has no host name');
    const port = url.port ? Number(url.port) : 22;
    const endpoint: EngineEndpoint = { kind: 'ssh', display: `ssh://${url.username ? `${url.username}@` : ''}${url.hostname}:${port}`, host: url.hostname, port };
    if (url.username) endpoint.username = decodeURIComponent(url.username);
    return endpoint;
  }
  throw bad(`uses an unsupported scheme "${url.protocol.replace(/:$/, '')}"`);
}

function truthy(v: string | undefined): boolean {
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}
