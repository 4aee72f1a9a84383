/**
 * `check --http PORT PATH | --tcp PORT --deadline MS`: a health probe from inside the target's
 * network namespace (the sidecar runs with --net container:<target>), repeated until the app
 * passes `settle` times in a row (it may take a moment to pick a reloaded config up, and a worker
 * of the old config may still answer the first probes) or the deadline passes. One result event.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { TimeoutError, UsageError } from '@dockside/common';
import { EventWriter } from '@dockside/sidecar-kit';
import type { CheckResult } from '../events.js';

const ATTEMPT_TIMEOUT_MS = 2000;

function httpOnce(port: number, path: string): Promise<{ ok: boolean; what: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', timeout: ATTEMPT_TIMEOUT_MS, headers: { 'user-agent': 'dockside-config-check' } }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve({ ok: code >= 200 && code < 400, what: `HTTP ${code}` });
    });
    req.on('timeout', () => req.destroy(new TimeoutError(`no answer in ${ATTEMPT_TIMEOUT_MS} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, what: err.code === 'ECONNREFUSED' ? 'connection refused' : err.message }));
    req.end();
  });
}

function tcpOnce(port: number): Promise<{ ok: boolean; what: string }> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, timeout: ATTEMPT_TIMEOUT_MS });
    s.on('connect', () => {
      s.destroy();
      resolve({ ok: true, what: 'connected' });
    });
    s.on('timeout', () => {
      s.destroy();
      resolve({ ok: false, what: `no answer in ${ATTEMPT_TIMEOUT_MS} ms` });
    });
    s.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, what: err.code === 'ECONNREFUSED' ? 'connection refused' : err.message }));
  });
}

export async function check(args: string[]): Promise<number> {
  let probe: (() => Promise<{ ok: boolean; what: string }>) | undefined;
  let deadline = 10_000;
  let interval = 500;
  let settle = 3;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--http') {
      const port = Number(args[++i]);
      const path = args[++i] ?? '/';
      probe = () => httpOnce(port, path);
    } else if (a === '--tcp') {
      const port = Number(args[++i]);
      probe = () => tcpOnce(port);
    } else if (a === '--deadline') deadline = Number(args[++i]);
    else if (a === '--interval') interval = Number(args[++i]);
    else if (a === '--settle') settle = Number(args[++i]);
    else throw new UsageError(`check: unknown argument ${a}`);
  }
  if (!probe) throw new UsageError('check needs --http PORT PATH or --tcp PORT');
  const t0 = Date.now();
  let attempts = 0;
  let passes = 0;
  let last = 'not tried';
  let stop = false;
  process.once('SIGTERM', () => (stop = true));
  process.once('SIGINT', () => (stop = true));
  while (!stop) {
    attempts++;
    const r = await probe();
    last = r.what;
    passes = r.ok ? passes + 1 : 0;
    if (passes >= settle) break;
    if (Date.now() - t0 + interval > deadline) break;
    await new Promise((res) => setTimeout(res, interval));
  }
  const result: CheckResult = { healthy: passes >= settle, attempts, last, elapsedMs: Date.now() - t0 };
  new EventWriter<Record<string, never>, CheckResult>().result(result);
  return 0;
}
