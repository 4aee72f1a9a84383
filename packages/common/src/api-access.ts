/**
 * Which Docker API calls a long-running sidecar may make through its api-proxy. Pure logic, shared
 * by the engine (which writes the rules) and the proxy (which enforces them).
 *
 * A rule names one method and one path pattern: a RegExp source matched, anchored at both ends,
 * against the *normalised* path, i.e. without the `/v1.41`-style version prefix and without the
 * query string. `isAllowed` refuses anything it cannot normalise unambiguously: the engine must never
 * see a path that means something other than what the rule matched.
 */

import { BugError, UsageError } from './errors.js';
import type { ExecRule } from './exec-policy.js';

export type ApiMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

/** The JSON bodies a rule lets through, each read as the engine reads it and forwarded re-serialised. */
export type ApiBody = 'container-create' | 'exec-create' | 'exec-start';
const BODIES: readonly string[] = ['container-create', 'exec-create', 'exec-start'];

export interface ApiRule {
  method: ApiMethod;
  /** RegExp source matched against the normalised path, anchored (`^(?:...)$`). */
  path: string;
  /**
   * What body a POST may carry; without one, none (or `{}`, dropped). `container-create`: checked
   * against the proxy's CreatePolicy (create-policy.ts), then the created container too
   * (created-policy.ts); only on POST /containers/create. `exec-create`: checked against `exec`
   * (exec-policy.ts). `exec-start`: Detach and Tty only.
   */
  body?: ApiBody;
  /** For `body: 'exec-create'`: the users and commands an exec may name. */
  exec?: ExecRule;
  /**
   * The request may upgrade the connection (a hijacked exec or attach stream). Only on the
   * hijack endpoints (`isHijackPath`): every other upgrade is refused whatever the rules say.
   */
  upgrade?: boolean;
}

/** The only requests that may be upgraded: exec start and attach (docker's hijacked streams). */
export function isHijackPath(method: string, rawPath: string): boolean {
  const path = normaliseApiPath(rawPath);
  if (path === null || method !== 'POST') return false;
  return new RegExp(`^/(?:exec/${CONTAINER_REF}/start|containers/${CONTAINER_REF}/attach)$`).test(path);
}

const METHODS: readonly string[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'];

/** A container id or name, as it may appear in one path segment. */
export const CONTAINER_REF = '[a-zA-Z0-9][a-zA-Z0-9_.-]*';

const VERSION_PREFIX = /^\/v[0-9]{1,2}\.[0-9]{1,3}(?=\/)/;
/** Characters a normalised path may hold: RFC 3986 unreserved, plus '/' and a few sub-delims. */
const SAFE_PATH = /^[A-Za-z0-9\-._~/:@!$&'()*+,;=]*$/;
const MAX_PATH = 4096;

/**
 * The path a rule is matched against, or null when the raw request target is refused:
 * not origin-form (`/...`), too long, any percent sign (`%2F`, `%2e%2e`, `%00`: dockside's clients
 * never encode paths, and an encoded byte may mean something else to the engine than to the rule),
 * a backslash, control or non-ASCII bytes, a fragment, empty, `.` or `..` segments.
 */
export function normaliseApiPath(rawPath: string): string | null {
  if (typeof rawPath !== 'string' || rawPath.length === 0 || rawPath.length > MAX_PATH) return null;
  if (!rawPath.startsWith('/') || rawPath.startsWith('//')) return null;
  if (rawPath.includes('#')) return null;
  const q = rawPath.indexOf('?');
  let path = q >= 0 ? rawPath.slice(0, q) : rawPath;
  if (!SAFE_PATH.test(path)) return null; // %, \, controls, spaces, non-ASCII, '?' leftovers
  path = path.replace(VERSION_PREFIX, '');
  if (path === '/' || path === '') return null;
  const segments = path.slice(1).split('/');
  for (const s of segments) {
    if (s === '' || s === '.' || s === '..') return null; // '//', trailing '/', dot segments
  }
  return path;
}

/** Compile once; a rule with an invalid pattern or method is a bug in the caller. */
function compile(rule: ApiRule): RegExp {
  if (!METHODS.includes(rule.method)) throw new BugError(`api rule: unknown method ${JSON.stringify(rule.method)}`);
  if (typeof rule.path !== 'string' || !rule.path) throw new BugError('api rule: empty path pattern');
  return new RegExp(`^(?:${rule.path})$`);
}

const cache = new WeakMap<ApiRule, RegExp>();

/** The first rule `method rawPath` matches after normalisation, or undefined. */
export function matchRule(rules: readonly ApiRule[], method: string, rawPath: string): ApiRule | undefined {
  const path = normaliseApiPath(rawPath);
  if (path === null) return undefined;
  for (const rule of rules) {
    if (rule.method !== method) continue;
    let re = cache.get(rule);
    if (!re) {
      re = compile(rule);
      cache.set(rule, re);
    }
    if (re.test(path)) return rule;
  }
  return undefined;
}

/** True when `method rawPath` matches one of the rules after normalisation. */
export function isAllowed(rules: readonly ApiRule[], method: string, rawPath: string): boolean {
  return matchRule(rules, method, rawPath) !== undefined;
}

/**
 * Parse rules from JSON (the proxy's env or rules file): an array of `{method, path}` objects and
 * nothing else. Throws a UsageError naming what is wrong.
 */
export function parseApiRules(json: string): ApiRule[] {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new UsageError(`api rules are not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(raw)) throw new UsageError('api rules must be a JSON array of {"method","path"} objects');
  return raw.map((r: unknown, i) => {
    if (!r || typeof r !== 'object') throw new UsageError(`api rule ${i} is not an object`);
    const keys = Object.keys(r);
    const extra = keys.filter((k) => !['method', 'path', 'body', 'upgrade', 'exec'].includes(k));
    if (extra.length) throw new UsageError(`api rule ${i} has unknown keys: ${extra.join(', ')}`);
    const rule = r as ApiRule;
    try {
      compile(rule);
    } catch (err) {
      throw new UsageError(`api rule ${i}: ${(err as Error).message}`);
    }
    if (rule.body !== undefined && (!BODIES.includes(rule.body) || rule.method !== 'POST')) {
      throw new UsageError(`api rule ${i}: body must be one of ${BODIES.join(', ')}, on a POST rule`);
    }
    let exec: ExecRule | undefined;
    if (rule.body === 'exec-create') {
      const e = (rule.exec ?? { users: [] }) as unknown as Record<string, unknown>;
      const list = (k: string) => {
        const v = e[k];
        if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new UsageError(`api rule ${i}: exec.${k} must be a list of strings`);
        return v as string[];
      };
      if (Object.keys(e).some((k) => k !== 'users' && k !== 'commands')) throw new UsageError(`api rule ${i}: exec takes users and commands only`);
      exec = { users: e['users'] === undefined ? [] : list('users'), ...(e['commands'] !== undefined ? { commands: list('commands') } : {}) };
    } else if (rule.exec !== undefined) throw new UsageError(`api rule ${i}: exec is only for body "exec-create"`);
    if (rule.upgrade !== undefined && typeof rule.upgrade !== 'boolean') throw new UsageError(`api rule ${i}: upgrade must be true or false`);
    return { method: rule.method, path: rule.path, ...(rule.body ? { body: rule.body } : {}), ...(exec ? { exec } : {}), ...(rule.upgrade ? { upgrade: true } : {}) };
  });
}
