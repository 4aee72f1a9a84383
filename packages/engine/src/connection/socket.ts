/**
 * The one raw HTTP client on the engine's unix socket for in-container programs (the metrics
 * exporter, the log shipper): a JSON GET and a streaming GET whose response the caller reads (and
 * pauses) itself. No dockerode, so a sidecar bundle stays one small file and the bytes reach the
 * caller without copies. Failures are http.ts's dockerode-shaped EngineHttpError (one error type for
 * both raw paths), naming the request.
 */
import { request, type IncomingMessage } from 'node:http';
import { EngineUnreachableError, UsageError } from '@dockside/common';
import { EngineHttpError, readAll } from './http.js';

export { EngineHttpError };

export interface SocketClient {
  socketPath: string;
  /** API version prefix, e.g. v1.41 (the oldest this project supports). */
  apiVersion: string;
}

export function socketClient(socketPath = '/var/run/docker.sock', apiVersion = 'v1.41'): SocketClient {
  return { socketPath, apiVersion };
}

/**
 * The engine socket a sidecar is told about: DOCKER_HOST=unix:///path (how a service behind its
 * api-proxy is pointed at the proxy's socket) or a bare /path, else the default
 * /var/run/docker.sock. Any other DOCKER_HOST scheme is refused: in-container programs speak only
 * over a unix socket.
 */
export function socketPathFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const host = env['DOCKER_HOST']?.trim();
  if (!host) return '/var/run/docker.sock';
  if (host.startsWith('/')) return host;
  if (!host.startsWith('unix://') || host.length <= 'unix://'.length) {
    throw new UsageError(`DOCKER_HOST=${host} is not supported inside a sidecar: only unix:///path/to/docker.sock`, {
      hint: 'mount the engine socket and set DOCKER_HOST=unix:///var/run/docker.sock (or leave it unset)',
    });
  }
  return host.slice('unix://'.length);
}

/** The engine socket named by DOCKER_HOST (see socketPathFromEnv). */
export function socketClientFromEnv(env: NodeJS.ProcessEnv = process.env, apiVersion = 'v1.41'): SocketClient {
  return socketClient(socketPathFromEnv(env), apiVersion);
}

export function getJson<T>(client: SocketClient, path: string, timeoutMs = 10_000): Promise<T> {
  return requestJson<T>(client, 'GET', path, undefined, timeoutMs) as Promise<T>;
}

/** A POST with an optional JSON body; resolves with the answer's JSON (or undefined for an empty answer, as a 204). */
export function postJson<T = unknown>(client: SocketClient, path: string, body?: unknown, timeoutMs = 10_000): Promise<T | undefined> {
  return requestJson<T>(client, 'POST', path, body, timeoutMs, true);
}

/** One request with a JSON answer: a status >= 400 is an EngineHttpError; an empty answer is undefined only where `emptyOk`. */
function requestJson<T>(client: SocketClient, method: 'GET' | 'POST', path: string, body: unknown, timeoutMs: number, emptyOk = false): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers = method === 'GET' ? undefined : payload ? { 'content-type': 'application/json', 'content-length': payload.length } : { 'content-length': 0 };
    const req = request({ socketPath: client.socketPath, path: `/${client.apiVersion}${path}`, method, timeout: timeoutMs, ...(headers ? { headers } : {}) }, (res) => {
      readAll(res).then((b) => {
        const text = b.toString('utf8');
        if ((res.statusCode ?? 500) >= 400) return reject(new EngineHttpError(res.statusCode ?? 500, text, path));
        if (emptyOk && !text.trim()) return resolve(undefined);
        try {
          resolve(JSON.parse(text) as T);
        } catch (err) {
          reject(err as Error);
        }
      }, reject);
    });
    req.on('timeout', () =>
      req.destroy(new EngineUnreachableError(`engine did not answer ${path} in ${timeoutMs} ms`, { hint: 'is the Docker engine overloaded or hung? `docker info` tells' })),
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Open a streaming GET; resolves with the response once headers arrived (status < 400), and an abort. */
export function openStream(client: SocketClient, path: string): Promise<{ res: IncomingMessage; abort: () => void }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: client.socketPath, path: `/${client.apiVersion}${path}`, method: 'GET' }, (res) => {
      const status = res.statusCode ?? 500;
      if (status >= 400) return void readAll(res).then((b) => reject(new EngineHttpError(status, b.toString('utf8'), path)), reject);
      resolve({ res, abort: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}
