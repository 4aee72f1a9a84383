/** The health checks, run from inside the app's network namespace: http:/path, tcp, exec:CMD. */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { TimeoutError } from '@dockside/common';
import { parseProcNetTcp } from '@dockside/sidecar-kit';
import type { HealthCheck } from '../config.js';

export interface CheckResult {
  ok: boolean;
  detail: string;
  ms: number;
}

export async function runCheck(check: HealthCheck, port: number, timeoutMs: number): Promise<CheckResult> {
  const t0 = Date.now();
  const done = (ok: boolean, detail: string): CheckResult => ({ ok, detail, ms: Date.now() - t0 });
  if (check.kind === 'http') {
    return new Promise((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: check.path, method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
        res.resume();
        const s = res.statusCode ?? 0;
        resolve(done(s >= 200 && s < 400, `HTTP ${s}`));
      });
      req.on('timeout', () => req.destroy(new TimeoutError(`no answer in ${timeoutMs} ms`)));
      req.on('error', (e: NodeJS.ErrnoException) => resolve(done(false, e.code ?? e.message)));
      req.end();
    });
  }
  if (check.kind === 'tcp') {
    return new Promise((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      s.setTimeout(timeoutMs, () => s.destroy(new TimeoutError('timeout', { code: 'ETIMEDOUT' })));
      s.once('connect', () => {
        s.destroy();
        resolve(done(true, 'connected'));
      });
      s.once('error', (e: NodeJS.ErrnoException) => resolve(done(false, e.code ?? e.message)));
    });
  }
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', check.command], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DOCKSIDE_CHECK_PORT: String(port) } });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-200)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve(done(false, e.message));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve(done(code === 0, code === 0 ? 'exit 0' : `${signal ? `killed (${signal}, timeout)` : `exit ${code}`}${err.trim() ? `: ${err.trim().split('\n').pop()}` : ''}`));
    });
  });
}

/** The TCP ports something listens on in this network namespace (/proc/net/tcp and tcp6). */
export async function listeningPorts(): Promise<number[]> {
  const out = new Set<number>();
  for (const p of ['tcp', 'tcp6'] as const) {
    const text = await readFile(`/proc/net/${p}`, 'utf8').catch(() => '');
    // 127.0.0.11: the engine's embedded DNS on user-defined networks (its TCP port is random).
    for (const s of parseProcNetTcp(text, p)) if (s.address !== '127.0.0.11') out.add(s.port);
  }
  return [...out].sort((a, b) => a - b);
}
