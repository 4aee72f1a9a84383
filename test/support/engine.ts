/**
 * What integration tests share: a real engine (or a clear failure: never a silent skip), a per-run
 * label on everything a test starts, cleanup by that label, and a way to run the real CLI.
 */
import { createServer as createNetServer } from 'node:net';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { connectEngine, pingEngine, type Engine } from '@dockside/engine';
import { encodeEvent } from '@dockside/common';

export const ROOT = process.env['DOCKSIDE_TEST_ROOT'] ?? join(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'packages', 'cli', 'bin', 'run.js');
export const VERSION: string = (await import(join(ROOT, 'packages', 'cli', 'package.json'), { with: { type: 'json' } })).default.version;
/** The tag the CLI runs sidecars from (DOCKSIDE_IMAGE_TAG, else the version). */
export const IMAGE_TAG = process.env['DOCKSIDE_IMAGE_TAG'] || VERSION;
/** Label put on every container, volume and network a test run creates. */
export const RUN_LABEL = 'dockside.test-run';
export const RUN_ID = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

/** Connect to the engine, or fail with one clear sentence. */
export async function requireEngine(): Promise<Engine> {
  const engine = await connectEngine();
  try {
    await pingEngine(engine);
  } catch (err) {
    throw new Error(`integration tests need a running Docker engine (${(err as Error).message}); run \`npm test\` (it installs and starts one) or \`bash scripts/setup.sh\``);
  }
  const base = spawnSync('docker', ['image', 'inspect', `dockside/base:${IMAGE_TAG}`], { stdio: 'ignore' });
  if (base.status !== 0) throw new Error(`integration tests need the dockside images (dockside/base:${IMAGE_TAG} is missing); run \`bash scripts/setup.sh\``);
  return engine;
}

/** `docker` CLI, for arranging test fixtures and asserting on the engine's real state. */
export function docker(...args: string[]): string {
  const r = spawnSync('docker', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/** Start a fixture container carrying this run's label; returns its name. */
export function startFixture(name: string, args: string[]): string {
  const full = `dstest-${RUN_ID}-${name}`;
  docker('run', '-d', '--name', full, '--label', `${RUN_LABEL}=${RUN_ID}`, ...args);
  return full;
}

/** Create a named volume carrying this run's label. */
export function createVolume(name: string): string {
  const full = `dstest-${RUN_ID}-${name}`;
  docker('volume', 'create', '--label', `${RUN_LABEL}=${RUN_ID}`, full);
  return full;
}

/** Remove everything this run created (fixtures by run label; sidecars they served by target name). */
export function cleanupRun(): void {
  const ids = docker('ps', '-aq', '--filter', `label=${RUN_LABEL}=${RUN_ID}`).split('\n').filter(Boolean);
  const names = ids.length
    ? docker('inspect', '--format', '{{.Name}}', ...ids)
        .split('\n')
        .map((n) => n.replace(/^\//, ''))
    : [];
  const sidecars = names.flatMap((n) => docker('ps', '-aq', '--filter', `label=dockside.target.name=${n}`).split('\n').filter(Boolean));
  const all = [...new Set([...sidecars, ...ids])];
  // The named socket volume a sidecar shares with its api-proxy goes too (`rm -v` takes anonymous ones only).
  // (spawnSync, not docker(): a sidecar that has just removed itself must not fail the cleanup)
  const inspected = all.length
    ? (spawnSync('docker', ['inspect', '--format', '{{index .Config.Labels "dockside.api-proxy.volume"}}', ...all], { encoding: 'utf8' }).stdout ?? '')
    : '';
  const proxyVolumes = inspected
    .split('\n')
    .map((v) => v.trim())
    .filter((v) => v.startsWith('dockside-api-'));
  if (all.length) spawnSync('docker', ['rm', '-f', '-v', ...all], { stdio: 'ignore' });
  const proxies = proxyVolumes.flatMap((v) =>
    (spawnSync('docker', ['ps', '-aq', '--filter', `label=dockside.api-proxy.volume=${v}`], { encoding: 'utf8' }).stdout ?? '').split('\n').filter(Boolean),
  );
  if (proxies.length) spawnSync('docker', ['rm', '-f', '-v', ...proxies], { stdio: 'ignore' });
  if (proxyVolumes.length) spawnSync('docker', ['volume', 'rm', '-f', ...new Set(proxyVolumes)], { stdio: 'ignore' });
  const vols = docker('volume', 'ls', '-q', '--filter', `label=${RUN_LABEL}=${RUN_ID}`).split('\n').filter(Boolean);
  if (vols.length) spawnSync('docker', ['volume', 'rm', '-f', ...vols], { stdio: 'ignore' });
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run the real `dockside` CLI. */
export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Spawn the CLI without waiting (for signal tests). */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Poll until fn returns a truthy value or the deadline passes. */
export async function waitFor<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 20_000, everyMs = 100): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A TCP port free on 127.0.0.1 right now (for a receiver or a published port in a test). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/**
 * A stand-in service for tests of the service frame: a shell that reports `ready` on the sidecar
 * protocol (as every dockside service program does) and then sleeps `seconds`.
 */
export function standInService(seconds: number): string[] {
  return ['sh', '-c', `printf '%s' '${encodeEvent({ type: 'progress', name: 'ready', data: {} })}' >&2; exec sleep ${seconds}`];
}
/** How long startService waits for a stand-in's `ready`. */
export const STAND_IN_READY = { what: 'the test service', timeoutMs: 20_000 };
