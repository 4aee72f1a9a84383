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
import { SshAgent } from './ssh.js';

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
  let http: EngineHttp | undefined;
  if (endpoint.kind === 'unix') http = new EngineHttp(options.socketPath ?? '/var/run/docker.sock');
  if (endpoint.kind === 'ssh') {
    // As the docker CLI does it: `ssh <host> docker system dial-stdio` per connection (ssh.ts), for
    // the raw client and dockerode alike (dockerode's own ssh transport skips known_hosts and
    // ~/.ssh/config, and parses an ssh URL with a deprecated API that warns on every start).
    const agent = new SshAgent(endpoint, opts.env ?? process.env);
    http = new EngineHttp({ agent });
    options.protocol = 'http';
    options.host = 'docker';
    (options as Record<string, unknown>)['agent'] = agent;
  }
  debug('connecting to %s', endpoint.display);
  // dockerode only when something needs it; unix and ssh engines also get the raw HTTP client (client.ts).
  const load = () => import('dockerode').then(({ default: Docker }) => new Docker(options));
  return bindClient({ endpoint } as Engine, load, http);
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
