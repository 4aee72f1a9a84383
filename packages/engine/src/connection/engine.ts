/**
 * The engine context: where the engine is, and (hidden, see client.ts) a dockerode client for it.
 * Created once per CLI invocation and passed down; no module keeps one of its own. dockerode is
 * imported lazily so that commands which never talk to Docker (help, version) do not pay for it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import createDebug from 'debug';
import type Dockerode from 'dockerode';
import { bindClient, dockerOf, httpOf } from './client.js';
import { endpointFromEnv, type EngineEndpoint } from './endpoint.js';
import { connectionError } from './errors.js';
import { EngineHttp } from './http.js';

const debug = createDebug('dockside:engine');

declare const engineBrand: unique symbol;

/**
 * A connected engine. Opaque outside this package: only `endpoint` (where it is) shows; the Docker
 * client stays inside (dockerOf), and only connectEngine makes one.
 */
export interface Engine {
  readonly endpoint: EngineEndpoint;
  readonly [engineBrand]: true;
}

export interface ConnectOptions {
  env?: NodeJS.ProcessEnv;
}

export async function connectEngine(opts: ConnectOptions = {}): Promise<Engine> {
  const endpoint = endpointFromEnv(opts.env ?? process.env);
  const options: Dockerode.DockerOptions = {};
  if (endpoint.kind === 'unix') options.socketPath = endpoint.socketPath ?? '/var/run/docker.sock';
  if (endpoint.kind === 'tcp') {
    options.host = endpoint.host ?? 'localhost';
    options.port = endpoint.port ?? 2375;
    options.protocol = endpoint.tls ? 'https' : 'http';
    if (endpoint.tls) {
      const dir = endpoint.tls.certPath;
      const read = (f: string) => readFile(join(dir, f)).catch(() => undefined);
      const [ca, cert, key] = await Promise.all([read('ca.pem'), read('cert.pem'), read('key.pem')]);
      if (ca) options.ca = ca;
      if (cert) options.cert = cert;
      if (key) options.key = key;
      // DOCKER_TLS_VERIFY unset with TLS: like the docker CLI, encrypt but do not verify the server.
      (options as Record<string, unknown>)['rejectUnauthorized'] = endpoint.tls.verify;
    }
  }
  if (endpoint.kind === 'ssh') {
    options.protocol = 'ssh';
    options.host = endpoint.host ?? 'localhost';
    options.port = endpoint.port ?? 22;
    if (endpoint.username) options.username = endpoint.username;
    const agent = (opts.env ?? process.env)['SSH_AUTH_SOCK'];
    if (agent) (options as Record<string, unknown>)['sshOptions'] = { agent };
  }
  debug('connecting to %s', endpoint.display);
  // dockerode only when something needs it; a unix socket also gets the raw HTTP client (client.ts).
  const load = () => import('dockerode').then(({ default: Docker }) => new Docker(options));
  return bindClient({ endpoint } as Engine, load, endpoint.kind === 'unix' ? new EngineHttp(options.socketPath ?? '/var/run/docker.sock') : undefined);
}

/** Ping the engine; throws a typed, one-line error when it is not reachable. */
export async function pingEngine(engine: Engine): Promise<void> {
  try {
    const http = httpOf(engine);
    if (http) await http.text('GET', '/_ping');
    else await (await dockerOf(engine)).ping();
  } catch (err) {
    throw connectionError(err, engine.endpoint) ?? err;
  }
}
