/**
 * The api-proxy's own calls to the engine (inspects for the post-create check, the forced removal
 * of a refused container): one request on the engine's socket, the answer buffered up to a bound
 * (an answer over it is an error, never a growing buffer).
 */
import { request } from 'node:http';

export interface EngineAnswer {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

/** The engine's answer was not what the proxy can use (too large, an unexpected status): caught by the proxy, which refuses or answers 502 with the message. */
export class EngineAnswerError extends Error {
  override readonly name = 'EngineAnswerError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Default bound on an answer the proxy reads itself (an inspect is a few KiB). */
export const MAX_ENGINE_ANSWER = 4 * 1024 * 1024;

export function engineCall(
  socketPath: string,
  method: string,
  path: string,
  opts: { body?: Buffer | string; headers?: Record<string, string | string[]>; max?: number } = {},
): Promise<EngineAnswer> {
  const max = opts.max ?? MAX_ENGINE_ANSWER;
  return new Promise((resolve, reject) => {
    const body = opts.body === undefined ? undefined : Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body, 'utf8');
    const headers: Record<string, string | string[]> = { ...opts.headers };
    if (body) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(body.length);
    }
    const req = request({ socketPath, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > max) {
          res.destroy();
          reject(new EngineAnswerError(`the engine's answer to ${method} ${path} is over ${max} bytes`));
          return;
        }
        chunks.push(c);
      });
      res.on('error', reject);
      res.on('end', () => {
        const out: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out[k] = v;
        resolve({ status: res.statusCode ?? 502, headers: out, body: Buffer.concat(chunks) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** GET a JSON document; undefined on 404. */
export async function engineJson<T>(socketPath: string, path: string): Promise<T | undefined> {
  const a = await engineCall(socketPath, 'GET', path);
  if (a.status === 404) return undefined;
  if (a.status !== 200) throw new EngineAnswerError(`GET ${path}: the engine answered ${a.status}`, a.status);
  return JSON.parse(a.body.toString('utf8')) as T;
}
