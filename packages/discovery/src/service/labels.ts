/**
 * Registrations declared by labels on the app itself (`register --all` picks up every running
 * container that carries `dockside.register.service`):
 *   dockside.register.service=web   dockside.register.port=8080   dockside.register.check=http:/healthz
 *   dockside.register.interval=5s   dockside.register.ttl=15s     dockside.register.network=backend
 *   dockside.register.tags=v1,blue  dockside.register.to=etcd://etcd:2379 (else the command's --to)
 */
import { parseDuration, UsageError } from '@dockside/common';
import { parseCheck, type HealthCheck, type Registration } from '../config.js';
import { checkServiceName, parseRegistryUrl, type RegistryConfig } from './../registry/url.js';

export const REGISTER_LABEL_PREFIX = 'dockside.register.';
const KNOWN = ['service', 'port', 'check', 'interval', 'ttl', 'network', 'tags', 'to'];

export interface LabelDefaults {
  check: HealthCheck;
  intervalMs: number;
  ttlMs: number;
  registry?: RegistryConfig;
}

export type LabelRegistration = Registration;

/** The registration a container's labels declare; a UsageError naming the label at fault. */
export function registrationFromLabels(labels: Record<string, string>, d: LabelDefaults): LabelRegistration {
  const get = (k: string) => labels[`${REGISTER_LABEL_PREFIX}${k}`];
  const unknown = Object.keys(labels).filter((k) => k.startsWith(REGISTER_LABEL_PREFIX) && !KNOWN.includes(k.slice(REGISTER_LABEL_PREFIX.length)));
  if (unknown.length) throw new UsageError(`unknown label ${unknown.join(', ')}`, { hint: `known: ${KNOWN.map((k) => REGISTER_LABEL_PREFIX + k).join(', ')}` });
  const at = <T>(k: string, f: (v: string) => T): T => {
    try {
      return f(get(k) as string);
    } catch (err) {
      throw new UsageError(`label ${REGISTER_LABEL_PREFIX}${k}: ${(err as Error).message}`);
    }
  };
  const service = at('service', checkServiceName);
  const port = at('port', (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`must be a port from 1 to 65535 (got "${v ?? ''}")`);
    return n;
  });
  const registry = get('to') !== undefined ? at('to', (v) => parseRegistryUrl(v, 'the registry')) : d.registry;
  if (!registry) throw new UsageError(`label ${REGISTER_LABEL_PREFIX}to is missing and no --to was given`);
  const network = get('network');
  return {
    service,
    port,
    check: get('check') !== undefined ? at('check', parseCheck) : d.check,
    intervalMs: get('interval') !== undefined ? at('interval', parseDuration) : d.intervalMs,
    ttlMs: get('ttl') !== undefined ? at('ttl', parseDuration) : d.ttlMs,
    ...(network ? { network } : {}),
    tags: (get('tags') ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
    registry,
  };
}
