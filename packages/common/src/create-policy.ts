/**
 * What a service behind its api-proxy may ask for when it creates a container (a rule with
 * `body: 'container-create'`). Pure logic: the proxy buffers the POST /containers/create body,
 * and `decodeCreateBody` reads it the way the engine will (go-json.ts: Go's key matching, every
 * duplicate seen, unknown fields refused) into the engine's exact field names, checks that against
 * the policy (`checkCreate`), and returns the canonical JSON to forward in place of the client's
 * bytes. After the engine has created the container, created-policy.ts checks what it reports.
 *
 * A method+path rule alone would let the service create a privileged container (and so own the
 * host). Every HostConfig field of API 1.41 is listed in HOST_CONFIG_POLICY as allowed with any
 * value, allowed only at its zero value, or checked here: Privileged; a capability outside the
 * allow-list (and ALL); bind mounts of host paths outside the allowed prefixes (after resolving
 * `.` and `..`; symlinks are the proxy's to resolve) and any bind that is, or holds, the Docker
 * socket; volume mounts unless allowed (a volume's driver options can bind any host path);
 * VolumesFrom unless allowed; host PID/IPC/UTS/user/cgroup/network namespaces; devices; security
 * options other than no-new-privileges (apparmor/seccomp unconfined, label disable...);
 * masked/read-only path overrides; CgroupParent; Sysctls; another runtime; a remote log driver.
 */
import { posix } from 'node:path';
import { CONTAINER_CREATE, HOST_CONFIG } from './docker-schema.js';
import { UsageError } from './errors.js';
import { GoJsonError, GoNumber, decodeGoBody, serialiseCanonical, type Canonical } from './go-json.js';

export interface CreatePolicy {
  /** Capabilities CapAdd may name (upper case, without CAP_). */
  allowedCaps: string[];
  /** Host path prefixes a bind mount's source may lie under (absolute). */
  bindSources: string[];
  /** HostConfig.VolumesFrom (the backup sidecar reads its target's volumes that way). */
  allowVolumesFrom: boolean;
  /** Named volume mounts (Mounts type volume, or a Binds entry naming a volume). */
  allowVolumes: boolean;
  /**
   * With allowVolumes false: the named volumes a create may still mount (an exact name, or a
   * prefix ending in `*`), local and without driver options. The fleet agent mounts its node's
   * log-shipper proxy socket and the shippers' position volumes this way, and no other volume
   * (plus anonymous ones, which are local and made for the container).
   */
  volumeNames?: string[];
}

/** True when the policy lets a create mount the named volume `name`. */
export function volumeNameAllowed(policy: CreatePolicy, name: string): boolean {
  if (policy.allowVolumes) return true;
  // An anonymous volume (no name: local, made for this container) comes with any volumeNames list.
  if (name === '') return policy.volumeNames !== undefined;
  return (policy.volumeNames ?? []).some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) && name.length > p.length - 1 : name === p));
}

/** Largest create body the proxy buffers. */
export const MAX_CREATE_BODY = 1024 * 1024;

/** Paths where an engine socket lives: no bind may be one of them or hold one. */
const SOCKET_PATHS = ['/var/run/docker.sock', '/run/docker.sock', '/var/run/docker', '/run/docker', '/run/containerd', '/var/run/containerd'];
const NNP = new Set(['no-new-privileges', 'no-new-privileges:true', 'no-new-privileges=true']);
/** Log drivers that write on the engine's host; the others send to an address of the client's choosing. */
export const LOCAL_LOG_DRIVERS = ['json-file', 'local', 'none'];
/** A container id or name in `container:<ref>`. */
const REF = /^container:[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * Every HostConfig field of API 1.41, and what the policy lets a create ask of it:
 *   any      any value (resources, restart policy, DNS, published ports, ...);
 *   zero     absent or its zero value (false, "", 0, [], {});
 *   absent   absent or null only (an empty MaskedPaths list would unmask /proc);
 *   checked  by checkCreate below, against the policy.
 */
export const HOST_CONFIG_POLICY = {
  Binds: 'checked',
  ContainerIDFile: 'zero',
  LogConfig: 'checked',
  NetworkMode: 'checked',
  PortBindings: 'any',
  RestartPolicy: 'any',
  AutoRemove: 'any',
  VolumeDriver: 'zero',
  VolumesFrom: 'checked',
  CapAdd: 'checked',
  CapDrop: 'any',
  CgroupnsMode: 'checked',
  Dns: 'any',
  DnsOptions: 'any',
  DnsSearch: 'any',
  ExtraHosts: 'any',
  GroupAdd: 'any',
  IpcMode: 'checked',
  Cgroup: 'zero',
  Links: 'any',
  OomScoreAdj: 'any',
  PidMode: 'checked',
  Privileged: 'zero',
  PublishAllPorts: 'any',
  ReadonlyRootfs: 'any',
  SecurityOpt: 'checked',
  StorageOpt: 'zero',
  Tmpfs: 'any',
  UTSMode: 'zero',
  UsernsMode: 'zero',
  ShmSize: 'any',
  Sysctls: 'zero',
  Runtime: 'zero',
  ConsoleSize: 'any',
  Isolation: 'checked',
  CpuShares: 'any',
  Memory: 'any',
  NanoCpus: 'any',
  CgroupParent: 'zero',
  BlkioWeight: 'any',
  BlkioWeightDevice: 'any',
  BlkioDeviceReadBps: 'any',
  BlkioDeviceWriteBps: 'any',
  BlkioDeviceReadIOps: 'any',
  BlkioDeviceWriteIOps: 'any',
  CpuPeriod: 'any',
  CpuQuota: 'any',
  CpuRealtimePeriod: 'any',
  CpuRealtimeRuntime: 'any',
  CpusetCpus: 'any',
  CpusetMems: 'any',
  Devices: 'zero',
  DeviceCgroupRules: 'zero',
  DeviceRequests: 'zero',
  KernelMemory: 'any',
  KernelMemoryTCP: 'any',
  MemoryReservation: 'any',
  MemorySwap: 'any',
  MemorySwappiness: 'any',
  OomKillDisable: 'any',
  PidsLimit: 'any',
  Ulimits: 'any',
  CpuCount: 'any',
  CpuPercent: 'any',
  IOMaximumIOps: 'any',
  IOMaximumBandwidth: 'any',
  Mounts: 'checked',
  MaskedPaths: 'absent',
  ReadonlyPaths: 'absent',
  Init: 'any',
} as const satisfies Record<keyof typeof HOST_CONFIG.fields, 'any' | 'zero' | 'absent' | 'checked'>;

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === false) return true;
  if (v instanceof GoNumber) return Number(v.raw) === 0;
  if (typeof v === 'number') return v === 0;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v as object).length === 0;
  return false;
}

/** `p` equals `prefix` or lies under it (both normalised, absolute). */
function under(p: string, prefix: string): boolean {
  if (prefix === '/') return true;
  return p === prefix || p.startsWith(`${prefix}/`);
}

/** Normalised absolute host path, or null when it is not one. */
export function normaliseHostPath(p: unknown): string | null {
  if (typeof p !== 'string' || !p.startsWith('/') || p.includes('\0')) return null;
  const n = posix.normalize(p);
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
}

/** Why a bind of host path `source` is refused, or null. */
export function checkBindSource(source: unknown, policy: CreatePolicy): string | null {
  const p = normaliseHostPath(source);
  if (p === null) return `bind source ${JSON.stringify(source)} is not an absolute path`;
  if (/docker\.sock$/.test(p) || SOCKET_PATHS.some((s) => under(s, p) || under(p, s))) return `bind of ${p} would expose the Docker socket`;
  const allowed = policy.bindSources.map(normaliseHostPath).filter((x): x is string => x !== null && x !== '/');
  if (!allowed.some((a) => under(p, a))) return `bind of host path ${p} is outside the allowed directories (${allowed.join(', ') || 'none'})`;
  return null;
}

export function capName(c: unknown): string {
  return typeof c === 'string' ? c.toUpperCase().replace(/^CAP_/, '') : String(c);
}

/** Why `mode` (NetworkMode) is refused, or null: the host's network, by any spelling the engine takes. */
export function checkNetworkMode(mode: unknown): string | null {
  if (mode === undefined || mode === null) return null;
  if (typeof mode !== 'string') return 'NetworkMode is not a string';
  if (mode.toLowerCase() === 'host') return 'NetworkMode host is not allowed';
  return null;
}

/** Why a namespace mode is refused, or null: '' or `container:<ref>` only, plus `extra` values. */
function checkNamespace(name: string, v: unknown, extra: readonly string[]): string | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string') return `${name} is not a string`;
  if (extra.includes(v) || REF.test(v)) return null;
  return `${name} ${v.toLowerCase() === 'host' ? 'host' : JSON.stringify(v)} is not allowed`;
}

/** The namespace modes a create may ask for, besides '' and (but for UTS) container:<ref>. */
export const NAMESPACE_VALUES = { PidMode: [], IpcMode: ['private', 'shareable', 'none'], CgroupnsMode: ['private'] } as const;

/**
 * Why this create request is refused under `policy`, or null when it may go through. `body` is
 * the create body decoded with the engine's field names (decodeCreateBody).
 */
export function checkCreate(body: unknown, policy: CreatePolicy): string | null {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'the create body is not a JSON object';
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) if (!(k in CONTAINER_CREATE.fields)) return `${k} is not a field the policy knows`;
  const hc = (b['HostConfig'] ?? {}) as Record<string, unknown>;
  if (typeof hc !== 'object' || Array.isArray(hc) || hc === null) return 'HostConfig is not an object';
  for (const [k, v] of Object.entries(hc)) {
    const rule = (HOST_CONFIG_POLICY as Record<string, string>)[k];
    if (rule === undefined) return `HostConfig.${k} is not a field the policy knows`;
    if (rule === 'zero' && !isEmpty(v)) {
      if (k === 'Privileged') return 'Privileged containers are not allowed';
      return typeof v === 'string' ? `${k} ${v.toLowerCase() === 'host' ? 'host' : JSON.stringify(v)} is not allowed` : `${k} is not allowed`;
    }
    if (rule === 'absent' && v !== undefined && v !== null) return `${k} is not allowed (the engine's defaults only)`;
  }
  const caps = hc['CapAdd'];
  if (caps !== undefined && caps !== null) {
    if (!Array.isArray(caps)) return 'CapAdd is not a list';
    const allowed = new Set(policy.allowedCaps.map(capName));
    for (const c of caps) {
      const n = capName(c);
      if (n === 'ALL' || !allowed.has(n)) return `capability ${n} is not allowed (allowed: ${[...allowed].join(', ') || 'none'})`;
    }
  }
  const net = checkNetworkMode(hc['NetworkMode']);
  if (net) return net;
  for (const [ns, extra] of Object.entries(NAMESPACE_VALUES)) {
    const why = checkNamespace(ns, hc[ns], extra);
    if (why) return why;
  }
  const iso = hc['Isolation'];
  if (iso !== undefined && iso !== '' && iso !== 'default') return `Isolation ${String(iso)} is not allowed`;
  const log = hc['LogConfig'] as { Type?: unknown } | undefined;
  if (log?.Type !== undefined && log.Type !== '' && !LOCAL_LOG_DRIVERS.includes(String(log.Type))) {
    return `log driver ${String(log.Type)} is not allowed (only ${LOCAL_LOG_DRIVERS.join(', ')})`;
  }
  const sec = hc['SecurityOpt'];
  if (sec !== undefined && sec !== null) {
    if (!Array.isArray(sec)) return 'SecurityOpt is not a list';
    for (const s of sec) if (typeof s !== 'string' || !NNP.has(s.trim().toLowerCase())) return `security option ${JSON.stringify(s)} is not allowed (only no-new-privileges)`;
  }
  const vf = hc['VolumesFrom'];
  if (!isEmpty(vf) && !policy.allowVolumesFrom) return 'VolumesFrom is not allowed';
  if (vf !== undefined && vf !== null && !Array.isArray(vf)) return 'VolumesFrom is not a list';
  const binds = hc['Binds'];
  if (binds !== undefined && binds !== null) {
    if (!Array.isArray(binds)) return 'Binds is not a list';
    for (const entry of binds) {
      if (typeof entry !== 'string') return 'a Binds entry is not a string';
      const source = entry.split(':')[0] ?? '';
      if (!source.startsWith('/')) {
        if (!volumeNameAllowed(policy, source)) return `volume ${source} is not allowed`;
        continue;
      }
      const why = checkBindSource(source, policy);
      if (why) return why;
    }
  }
  const mounts = hc['Mounts'];
  if (mounts !== undefined && mounts !== null) {
    if (!Array.isArray(mounts)) return 'Mounts is not a list';
    for (const m of mounts) {
      if (!m || typeof m !== 'object') return 'a Mounts entry is not an object';
      const mm = m as Record<string, unknown>;
      const type = mm['Type'];
      if (type === 'tmpfs') continue;
      if (type === 'bind') {
        const why = checkBindSource(mm['Source'], policy);
        if (why) return why;
        continue;
      }
      if (type === 'volume') {
        if (!volumeNameAllowed(policy, String(mm['Source'] ?? ''))) return `volume mounts are not allowed${mm['Source'] ? ` (${String(mm['Source'])})` : ''}`;
        const vo = mm['VolumeOptions'] as Record<string, unknown> | undefined;
        if (vo && !isEmpty(vo['DriverConfig'])) return 'volume driver options are not allowed';
        continue;
      }
      return `mount type ${JSON.stringify(type)} is not allowed`;
    }
  }
  const eps = (b['NetworkingConfig'] as { EndpointsConfig?: Record<string, unknown> } | undefined)?.EndpointsConfig ?? {};
  for (const name of Object.keys(eps)) if (name.toLowerCase() === 'host') return 'NetworkingConfig.EndpointsConfig host is not allowed';
  return null;
}

export type CreateBody = { [k: string]: Canonical };

/**
 * Read a create body as the engine will (go-json.ts) and check it: the decoded body and the
 * canonical JSON to forward (the engine's field names, nothing else), or why it is refused.
 */
export function decodeCreateBody(raw: Buffer | string, policy: CreatePolicy): { create: CreateBody; canonical: string } | { refused: string } {
  let create: CreateBody;
  try {
    create = decodeGoBody(raw, CONTAINER_CREATE);
  } catch (err) {
    if (err instanceof GoJsonError) return { refused: `the create body is refused: ${err.message}` };
    throw err;
  }
  const why = checkCreate(create, policy);
  if (why) return { refused: why };
  return { create, canonical: serialiseCanonical(create) };
}

/** The container names VolumesFrom lists (`ref` or `ref:ro`), for the proxy to look at. */
export function volumesFromRefs(body: unknown): string[] {
  const hc = (body as { HostConfig?: { VolumesFrom?: unknown } } | null)?.HostConfig;
  const vf = hc?.VolumesFrom;
  if (!Array.isArray(vf)) return [];
  return vf.filter((v): v is string => typeof v === 'string').map((v) => v.split(':')[0] ?? '');
}

/**
 * Why taking the volumes of a container with these mounts (its inspect `Mounts`) is refused, or
 * null: VolumesFrom copies its binds too, so a container holding the Docker socket (the api-proxy
 * itself, or any app given the socket) would hand it over.
 */
export function checkVolumesFromMounts(ref: string, mounts: unknown): string | null {
  if (!Array.isArray(mounts)) return null;
  for (const m of mounts) {
    const mm = (m ?? {}) as Record<string, unknown>;
    if (mm['Type'] !== 'bind') continue;
    const p = normaliseHostPath(mm['Source']);
    if (p === null || /docker\.sock$/.test(p) || SOCKET_PATHS.some((s) => under(s, p) || under(p, s))) {
      return `VolumesFrom ${ref} would expose the Docker socket (it binds ${String(mm['Source'])})`;
    }
  }
  return null;
}

/** Parse a policy from JSON (the proxy's env). Throws a UsageError naming what is wrong. */
export function parseCreatePolicy(json: string): CreatePolicy {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new UsageError(`create policy is not JSON: ${(err as Error).message}`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new UsageError('create policy must be a JSON object');
  const r = raw as Record<string, unknown>;
  const extra = Object.keys(r).filter((k) => !['allowedCaps', 'bindSources', 'allowVolumesFrom', 'allowVolumes', 'volumeNames'].includes(k));
  if (extra.length) throw new UsageError(`create policy has unknown keys: ${extra.join(', ')}`);
  const strings = (k: string): string[] => {
    const v = r[k] ?? [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new UsageError(`create policy ${k} must be a list of strings`);
    return v as string[];
  };
  const bindSources = strings('bindSources');
  for (const s of bindSources) if (normaliseHostPath(s) === null) throw new UsageError(`create policy bindSources: ${s} is not an absolute path`);
  return {
    allowedCaps: strings('allowedCaps').map(capName),
    bindSources,
    allowVolumesFrom: r['allowVolumesFrom'] === true,
    allowVolumes: r['allowVolumes'] === true,
    ...(r['volumeNames'] !== undefined ? { volumeNames: strings('volumeNames') } : {}),
  };
}
