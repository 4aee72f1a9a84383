/**
 * What a register or ambassador sidecar is told to do: validated on the host, copied into the
 * sidecar as a file before it starts (never in argv or `docker inspect`).
 */
import { parseSignal, splitShellWords, UsageError } from '@dockside/common';
import type { RegistryConfig } from './registry/url.js';

export type HealthCheck = { kind: 'http'; path: string } | { kind: 'tcp' } | { kind: 'exec'; command: string };

export interface TargetRef {
  id: string;
  name: string;
}

/** What one registration publishes and how it checks it: from flags or from `dockside.register.*` labels. */
export interface Registration {
  service: string;
  port: number;
  check: HealthCheck;
  intervalMs: number;
  ttlMs: number;
  /** The network whose address is published (its name); the target's only network when unset. */
  network?: string;
  tags: string[];
  registry: RegistryConfig;
}

/** The register sidecar's configuration (a file copied in). */
export interface RegisterConfig extends Registration {
  target: TargetRef;
  /** The engine host's name: what marks this host's entries. */
  host: string;
  /** When `register` ran (ms): entries of this host made before, by containers gone by then, are stale. */
  startedAt: number;
  /** Ids of the containers on this host when `register` ran (running or not). */
  liveContainers: string[];
}

/** What to do in the app when the set of healthy instances changes (program/on-change.ts). */
export interface OnChangeAction {
  /** A command run in the app (exec, as its own user), with DOCKSIDE_UPSTREAMS set... */
  exec?: string[];
  /** ...or a signal sent to it (SIGHUP). */
  signal?: string;
  debounceMs: number;
}

export interface AmbassadorConfig {
  upstream: string;
  listenHost: string;
  /** 0: no listener (`dockside watch`: only the on-change action). */
  listenPort: number;
  onChange?: OnChangeAction;
  registry: RegistryConfig;
  target: TargetRef;
  /** How often the instance list is read again (a failed connect also drops an instance at once). */
  refreshMs: number;
  connectTimeoutMs: number;
  /** /metrics on 127.0.0.1:<port> inside the app's network namespace (0: none). */
  metricsPort: number;
}

/** `http:/path`, `tcp`, `exec:CMD`. */
export function parseCheck(text: string): HealthCheck {
  const t = text.trim();
  if (t === 'tcp') return { kind: 'tcp' };
  if (t.startsWith('http:')) {
    const path = t.slice('http:'.length) || '/';
    if (!path.startsWith('/') || /\s/.test(path)) throw new UsageError(`--check http: needs a path starting with / (got "${text}")`, { hint: 'e.g. --check http:/healthz' });
    return { kind: 'http', path };
  }
  if (t.startsWith('exec:')) {
    const command = t.slice('exec:'.length).trim();
    if (!command)
      throw new UsageError('--check exec: needs a command', { hint: 'e.g. --check "exec:pg_isready -h 127.0.0.1" (run by sh in the sidecar, in the app\'s network namespace)' });
    return { kind: 'exec', command };
  }
  throw new UsageError(`--check must be http:/path, tcp or exec:CMD (got "${text}")`, { hint: 'e.g. --check http:/healthz' });
}

export function describeCheck(c: HealthCheck, port: number): string {
  return c.kind === 'http' ? `GET http://127.0.0.1:${port}${c.path}` : c.kind === 'tcp' ? `connect 127.0.0.1:${port}` : `sh -c ${JSON.stringify(c.command)}`;
}

/** `[host:]port`, the host a loopback address (the ambassador listens for the app only). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:(\[[^\]]+\]|[^:]+):)?(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535)
    throw new UsageError(`--listen must be [127.0.0.1:]PORT (got "${text}")`, { hint: 'e.g. --listen 5432 (the app connects to localhost:5432)' });
  const host = (m[1] ?? '127.0.0.1').replace(/^\[|\]$/g, '');
  if (host !== '127.0.0.1' && host !== '::1' && host !== 'localhost') {
    throw new UsageError(`--listen ${text}: the ambassador listens on loopback only (127.0.0.1 or ::1)`, { hint: 'the app reaches it on localhost; nothing else should' });
  }
  return { host: host === 'localhost' ? '127.0.0.1' : host, port };
}

/**
 * The on-change action from flags (`--exec CMD` or `--signal SIG`, one of them), checked on the
 * host. `flags` names them as the command spells them, for the messages.
 */
export function parseOnChange(o: { exec?: string; signal?: string; debounceMs: number }, flags: { exec: string; signal: string }): OnChangeAction | undefined {
  if (o.exec !== undefined && o.signal !== undefined) throw new UsageError(`give ${flags.exec} or ${flags.signal}, not both`);
  if (o.signal !== undefined) return { signal: parseSignal(o.signal, flags.signal), debounceMs: o.debounceMs };
  if (o.exec === undefined) return undefined;
  const exec = splitShellWords(o.exec);
  if (!exec.length) throw new UsageError(`${flags.exec} needs a command`, { hint: `e.g. ${flags.exec} "nginx -s reload"; it runs in the app with DOCKSIDE_UPSTREAMS set` });
  return { exec, debounceMs: o.debounceMs };
}
