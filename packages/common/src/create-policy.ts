/**
 * What a service behind its api-proxy may ask for when it creates a container (a rule with
 * `body: 'container-create'`). Pure logic: the proxy buffers the POST /containers/create body and
 * asks `checkCreate`, which names the first thing the policy refuses, or returns null.
 *
 * A method+path rule alone would let the service create a privileged container (and so own the
 * host). This refuses: Privileged; a capability outside the allow-list (and ALL); bind mounts of
 * host paths outside the allowed prefixes (after resolving `.` and `..`) and any bind that is, or
 * holds, the Docker socket; volume mounts unless allowed (a volume's driver options can bind any
 * host path); VolumesFrom unless allowed; host PID/IPC/UTS/user/cgroup/network namespaces; devices;
 * security options other than no-new-privileges (apparmor/seccomp unconfined, label disable...);
 * masked/read-only path overrides; CgroupParent; Sysctls; another runtime.
 */
import { posix } from 'node:path';

export interface CreatePolicy {
  /** Capabilities CapAdd may name (upper case, without CAP_). */
  allowedCaps: string[];
  /** Host path prefixes a bind mount's source may lie under (absolute). */
  bindSources: string[];
  /** HostConfig.VolumesFrom (the backup sidecar reads its target's volumes that way). */
  allowVolumesFrom: boolean;
  /** Named volume mounts (Mounts type volume, or a Binds entry naming a volume). */
  allowVolumes: boolean;
}

/** Largest create body the proxy buffers. */
export const MAX_CREATE_BODY = 1024 * 1024;

/** Paths where an engine socket lives: no bind may be one of them or hold one. */
const SOCKET_PATHS = ['/var/run/docker.sock', '/run/docker.sock', '/var/run/docker', '/run/docker', '/run/containerd', '/var/run/containerd'];
const NNP = new Set(['no-new-privileges', 'no-new-privileges:true', 'no-new-privileges=true']);
const NAMESPACES = ['PidMode', 'IpcMode', 'UTSMode', 'UsernsMode', 'CgroupnsMode', 'NetworkMode'] as const;
/** Fields that must be absent or empty. */
const EMPTY = ['Devices', 'DeviceRequests', 'DeviceCgroupRules', 'Sysctls', 'CgroupParent', 'Runtime', 'MaskedPaths', 'ReadonlyPaths', 'VolumeDriver'] as const;

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return true;
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
function checkBindSource(source: unknown, policy: CreatePolicy): string | null {
  const p = normaliseHostPath(source);
  if (p === null) return `bind source ${JSON.stringify(source)} is not an absolute path`;
  if (/docker\.sock$/.test(p) || SOCKET_PATHS.some((s) => under(s, p) || under(p, s))) return `bind of ${p} would expose the Docker socket`;
  const allowed = policy.bindSources.map(normaliseHostPath).filter((x): x is string => x !== null && x !== '/');
  if (!allowed.some((a) => under(p, a))) return `bind of host path ${p} is outside the allowed directories (${allowed.join(', ') || 'none'})`;
  return null;
}

function capName(c: unknown): string {
  return typeof c === 'string' ? c.toUpperCase().replace(/^CAP_/, '') : String(c);
}

/**
 * Why this create request is refused under `policy`, or null when it may go through. `body` is
 * the parsed JSON body of POST /containers/create.
 */
export function checkCreate(body: unknown, policy: CreatePolicy): string | null {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'the create body is not a JSON object';
  const b = body as Record<string, unknown>;
  const hc = (b['HostConfig'] ?? {}) as Record<string, unknown>;
  if (typeof hc !== 'object' || Array.isArray(hc) || hc === null) return 'HostConfig is not an object';
  if (hc['Privileged'] !== undefined && hc['Privileged'] !== false) return 'Privileged containers are not allowed';
  const caps = hc['CapAdd'];
  if (caps !== undefined && caps !== null) {
    if (!Array.isArray(caps)) return 'CapAdd is not a list';
    const allowed = new Set(policy.allowedCaps.map(capName));
    for (const c of caps) {
      const n = capName(c);
      if (n === 'ALL' || !allowed.has(n)) return `capability ${n} is not allowed (allowed: ${[...allowed].join(', ') || 'none'})`;
    }
  }
  for (const ns of NAMESPACES) {
    const v = hc[ns];
    if (typeof v === 'string' && v.toLowerCase() === 'host') return `${ns} host is not allowed`;
    if (v !== undefined && v !== null && typeof v !== 'string') return `${ns} is not a string`;
  }
  for (const f of EMPTY) if (!isEmpty(hc[f])) return `${f} is not allowed`;
  if (hc['Cgroup'] !== undefined && hc['Cgroup'] !== '') return 'Cgroup is not allowed';
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
        if (!policy.allowVolumes) return `volume ${source} is not allowed`;
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
        if (!policy.allowVolumes) return `volume mounts are not allowed`;
        const vo = mm['VolumeOptions'] as Record<string, unknown> | undefined;
        if (vo && !isEmpty(vo['DriverConfig'])) return 'volume driver options are not allowed';
        continue;
      }
      return `mount type ${JSON.stringify(type)} is not allowed`;
    }
  }
  return null;
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

/** Parse a policy from JSON (the proxy's env). Throws an Error naming what is wrong. */
export function parseCreatePolicy(json: string): CreatePolicy {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new Error(`create policy is not JSON: ${(err as Error).message}`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error('create policy must be a JSON object');
  const r = raw as Record<string, unknown>;
  const extra = Object.keys(r).filter((k) => !['allowedCaps', 'bindSources', 'allowVolumesFrom', 'allowVolumes'].includes(k));
  if (extra.length) throw new Error(`create policy has unknown keys: ${extra.join(', ')}`);
  const strings = (k: string): string[] => {
    const v = r[k] ?? [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new Error(`create policy ${k} must be a list of strings`);
    return v as string[];
  };
  const bindSources = strings('bindSources');
  for (const s of bindSources) if (normaliseHostPath(s) === null) throw new Error(`create policy bindSources: ${s} is not an absolute path`);
  return {
    allowedCaps: strings('allowedCaps').map(capName),
    bindSources,
    allowVolumesFrom: r['allowVolumesFrom'] === true,
    allowVolumes: r['allowVolumes'] === true,
  };
}
