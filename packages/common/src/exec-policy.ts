/**
 * What an exec create (POST /containers/{id}/exec, a rule with `body: 'exec-create'`) may ask
 * for, and the other bodies the api-proxy lets through. Bodies are read the way the engine reads
 * them (go-json.ts) and forwarded as their canonical re-serialisation. An exec is never
 * privileged; it runs as the container's own user unless the rule lists the users it may name;
 * its command may be any non-empty argv, or only those whose program the rule lists.
 */
import { EXEC_CREATE, EXEC_START } from './docker-schema.js';
import { GoJsonError, decodeGoBody, serialiseCanonical, type GoStruct } from './go-json.js';

export interface ExecRule {
  /** Users `User` may name; empty: only the container's own user (User absent or ""). */
  users: string[];
  /** Programs Cmd[0] may be; absent: any (exec jobs run what their labels say). */
  commands?: string[];
}

/** Largest exec create / exec start / other POST body the proxy buffers. */
export const MAX_SMALL_BODY = 64 * 1024;

type Decoded = { canonical: string } | { refused: string };

function decode(raw: Buffer | string, schema: GoStruct, what: string): { body: Record<string, unknown>; canonical: string } | { refused: string } {
  try {
    const body = decodeGoBody(raw, schema);
    return { body, canonical: serialiseCanonical(body) };
  } catch (err) {
    if (err instanceof GoJsonError) return { refused: `the ${what} body is refused: ${err.message}` };
    throw err;
  }
}

/** Check an exec create body against `rule`. */
export function decodeExecCreate(raw: Buffer | string, rule: ExecRule): Decoded {
  const d = decode(raw, EXEC_CREATE, 'exec create');
  if ('refused' in d) return d;
  const b = d.body;
  if (b['Privileged'] === true) return { refused: 'privileged execs are not allowed' };
  const user = b['User'];
  if (user !== undefined && user !== '' && !rule.users.includes(String(user))) {
    return { refused: `exec as user ${JSON.stringify(user)} is not allowed (${rule.users.length ? `allowed: ${rule.users.join(', ')}` : "only the container's own user"})` };
  }
  const cmd = b['Cmd'];
  if (!Array.isArray(cmd) || cmd.length === 0) return { refused: 'an exec needs a command (Cmd)' };
  if (rule.commands && !rule.commands.includes(String(cmd[0]))) return { refused: `exec of ${JSON.stringify(cmd[0])} is not allowed (allowed: ${rule.commands.join(', ')})` };
  return { canonical: d.canonical };
}

/** An exec start body (Detach, Tty; what else the engine ignores is dropped). */
export function decodeExecStart(raw: Buffer | string): Decoded {
  const d = decode(raw, EXEC_START, 'exec start');
  return 'refused' in d ? d : { canonical: d.canonical };
}

/**
 * A POST on a rule that names no body kind (start, stop, wait, kill...): nothing, or a JSON
 * object, forwarded as no body at all. dockerode repeats its query options in the body
 * (`{"t":2}` on a stop), so an object is accepted, but nothing in it reaches the engine (which,
 * before API 1.24, applied a HostConfig sent with a start).
 */
export function decodeNoBody(raw: Buffer | string): Decoded {
  const d = decode(raw, { fields: {}, unknown: 'drop' }, 'request');
  return 'refused' in d ? { refused: 'this request may carry no body but a JSON object, which is not sent on' } : { canonical: '' };
}
