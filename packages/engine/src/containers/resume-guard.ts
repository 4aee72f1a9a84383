/**
 * A target that dockside stopped or paused (backup --stop/--pause, restore) must come back even if
 * the CLI is killed outright (SIGKILL, OOM, a closed SSH session), which no handler in the CLI
 * survives, and the sidecar cannot do it: it has no Docker API. So before it stops the target the
 * CLI starts this guard: a small detached process (its own session, so the CLI's death and its
 * terminal's hang-up do not reach it) that polls the CLI's pid; once the CLI is gone it waits for
 * the target's sidecars of `role` to end (a restore must not race the app), then starts (and, if it
 * was paused, pauses) or unpauses the target, and exits. A CLI that finishes normally ends the
 * guard itself (`release`). It speaks the Engine API over the same endpoint as the CLI (unix socket
 * or plain TCP), nothing else.
 */
import { spawn } from 'node:child_process';
import type { Engine } from '../connection/engine.js';
import { LABEL } from './labels.js';

export interface ResumeGuard {
  /** The CLI brought the target back itself: end the guard. */
  release(): void;
}

const GUARD_JS = `
const http = require('http');
const [conn, cliPid, target, role, action] = process.argv.slice(1);
const c = JSON.parse(conn);
const api = (method, path) => new Promise((res) => {
  const req = http.request({ ...c, method, path, headers: { 'content-type': 'application/json' } }, (r) => {
    let b = ''; r.on('data', (d) => (b += d)); r.on('end', () => res({ status: r.statusCode, body: b }));
  });
  req.on('error', () => res({ status: 0, body: '' }));
  req.end();
});
const alive = (pid) => { try { process.kill(Number(pid), 0); return true; } catch (e) { return e.code === 'EPERM'; } };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
(async () => {
  while (alive(cliPid)) await sleep(300);
  const filters = encodeURIComponent(JSON.stringify({ label: ['${LABEL.role}=' + role, '${LABEL.target}=' + target] }));
  for (let i = 0; i < 24 * 3600; i++) {
    const r = await api('GET', '/containers/json?filters=' + filters);
    if (r.status === 200 && JSON.parse(r.body).length === 0) break;
    await sleep(1000);
  }
  const s = await api('GET', '/containers/' + target + '/json');
  if (s.status !== 200) return;
  const st = JSON.parse(s.body).State;
  if (action === 'unpause') { if (st.Paused) await api('POST', '/containers/' + target + '/unpause'); return; }
  if (!st.Running) await api('POST', '/containers/' + target + '/start');
  if (action === 'start-paused') await api('POST', '/containers/' + target + '/pause');
})();
`;

/**
 * Start a guard that brings `targetId` back (`start`, `start-paused` or `unpause`) if this
 * process dies before calling `release()`.
 */
export function guardResume(engine: Engine, targetId: string, role: string, action: 'start' | 'start-paused' | 'unpause'): ResumeGuard {
  const e = engine.endpoint;
  // TLS and SSH endpoints: the guard cannot speak them; the CLI's own handlers still resume.
  if (e.kind !== 'unix' && !(e.kind === 'tcp' && !e.tls)) return { release: () => undefined };
  const conn = e.kind === 'unix' ? { socketPath: e.socketPath ?? '/var/run/docker.sock' } : { host: e.host ?? 'localhost', port: e.port ?? 2375 };
  const child = spawn(process.execPath, ['-e', GUARD_JS, JSON.stringify(conn), String(process.pid), targetId, role, action], { detached: true, stdio: 'ignore' });
  child.unref();
  return {
    release: () => {
      try {
        child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    },
  };
}
