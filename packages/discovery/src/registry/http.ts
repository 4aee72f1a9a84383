/** The one small JSON-over-HTTP client of the etcd and Consul registries (node:http, a timeout, no agent keep-alive surprises). */
import { request } from 'node:http';
import { TimeoutError, UserError } from '@dockside/common';

export interface HttpTarget {
  host: string;
  port: number;
}

export class RegistryHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly what: string,
  ) {
    super(`${what}: HTTP ${status}${body ? ` ${body.slice(0, 200)}` : ''}`);
  }
}

export function httpJson<T>(t: HttpTarget, method: string, path: string, body?: unknown, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      {
        host: t.host,
        port: t.port,
        method,
        path,
        timeout: timeoutMs,
        agent: false,
        headers: { 'content-type': 'application/json', ...(payload ? { 'content-length': payload.length } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= 8 * 1024 * 1024) chunks.push(c);
        });
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status >= 400) return reject(new RegistryHttpError(status, text.trim(), `${method} ${path}`));
          if (!text.trim()) return resolve(undefined as T);
          try {
            resolve(JSON.parse(text) as T);
          } catch {
            // etcd's gateway streams (keepalive): the first JSON object is the answer.
            const first = text.split('\n').find((l) => l.trim());
            try {
              resolve(JSON.parse(first ?? '') as T);
            } catch {
              resolve(text as unknown as T);
            }
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new TimeoutError(`no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** The registry does not answer at start: one line naming it, exit 2 (a wrong --to/--from). */
export function unreachable(kind: string, t: HttpTarget, err: unknown): UserError {
  const why = err instanceof Error ? ((err as NodeJS.ErrnoException).code ?? err.message) : String(err);
  return new UserError(`cannot reach the ${kind} registry at ${t.host}:${t.port}: ${why}`, {
    exitCode: 2,
    code: 'EREGISTRY',
    hint: `the sidecar reaches it from the app's network: give an address the app itself could connect to (a registry on the host's 127.0.0.1 is not reachable from a bridge network)`,
  });
}
