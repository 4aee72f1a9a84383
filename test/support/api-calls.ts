/**
 * Docker API calls made from INSIDE a container that sits behind its api-proxy: node in that
 * container sends each call over the socket its DOCKER_HOST names, and the answers come back as
 * JSON. How the api-proxy, metrics-serve, logship and cron suites check what a sidecar may ask.
 */
import { request } from 'node:http';
import { docker } from './engine.js';

export interface ApiCall {
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
}

export interface ApiAnswer {
  status: number;
  body: string;
}

export function apiCallsFromInside(containerId: string, calls: ApiCall[]): ApiAnswer[] {
  const script = `
const http = require('http');
const calls = ${JSON.stringify(calls)};
const sock = process.env.DOCKER_HOST.replace(/^unix:\\/\\//, '');
(async () => {
  const out = [];
  for (const c of calls) {
    out.push(await new Promise((resolve) => {
      const req = http.request({ socketPath: sock, method: c.method, path: c.path, headers: { 'content-type': 'application/json', ...(c.headers || {}) } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      });
      req.on('error', (e) => resolve({ status: 0, body: e.code || e.message }));
      req.end(c.body);
    }));
  }
  process.stdout.write(JSON.stringify(out));
})();`;
  return JSON.parse(docker('exec', containerId, 'node', '-e', script)) as ApiAnswer[];
}

/**
 * One HTTP call over a unix socket from the test process (the body sent byte for byte, no
 * re-encoding): to the engine's own socket, or to an api-proxy's socket through its volume's
 * mountpoint on the host (what any client of that volume sees).
 */
export function unixCall(socketPath: string, call: { method: string; path: string; body?: string | Buffer }): Promise<ApiAnswer> {
  return new Promise((resolve, reject) => {
    const body = call.body === undefined ? undefined : Buffer.isBuffer(call.body) ? call.body : Buffer.from(call.body, 'utf8');
    const headers: Record<string, string> = body ? { 'content-type': 'application/json', 'content-length': String(body.length) } : {};
    const req = request({ socketPath, method: call.method, path: call.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
