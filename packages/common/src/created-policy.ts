/**
 * The api-proxy's second check: once the engine has created a container (not started), the proxy
 * inspects it and compares what the engine will really run (its effective HostConfig, its Mounts
 * with their sources, its networks) against the same policy. Whatever way a body was read, a
 * container the policy forbids then costs a create and a forced removal, never a start.
 *
 * Pure logic: `createdLookups` names what else must be asked of the engine (containers whose
 * volumes or namespaces this one takes, its volumes, its bind sources to resolve), the proxy
 * fetches those (`CreatedFacts`) and `checkCreated` gives the first violation, or null.
 */
import { capName, checkVolumesFromMounts, volumeNameAllowed, LOCAL_LOG_DRIVERS, normaliseHostPath, type CreatePolicy } from './create-policy.js';

/** The engine's default masked and read-only paths (moby oci.DefaultSpec, 20.10): none may be missing. */
export const DEFAULT_MASKED_PATHS = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
];
export const DEFAULT_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export interface InspectMount {
  Type?: string;
  Name?: string;
  Source?: string;
  Destination?: string;
  Driver?: string;
}

/** The parts of GET /containers/{id}/json this check reads. */
export interface CreatedInspect {
  Id?: string;
  HostConfig?: Record<string, unknown>;
  Mounts?: InspectMount[] | null;
  NetworkSettings?: { Networks?: Record<string, { NetworkID?: string } | null> | null } | null;
}

export interface CreatedFacts {
  engine: { cgroupVersion: string; defaultRuntime: string; loggingDriver: string; hostNetworkId: string };
  /** Inspect of each container named by VolumesFrom or `container:<ref>` (undefined: not found). */
  containers: Map<string, CreatedInspect | undefined>;
  /** GET /volumes/{name} of each volume mount (undefined: not found). */
  volumes: Map<string, { Driver?: string; Options?: Record<string, string> | null } | undefined>;
  /** Each bind source, resolved on the host view (symlinks followed inside the allowed dirs), or why not. */
  binds: Map<string, { real: string } | { refused: string }>;
}

const refOf = (mode: unknown): string | undefined => (typeof mode === 'string' && mode.startsWith('container:') ? mode.slice('container:'.length) : undefined);
const vfRef = (v: string) => v.split(':')[0] ?? '';

/** What the proxy must fetch before checkCreated can judge this container. */
export function createdLookups(c: CreatedInspect): { containers: string[]; volumes: string[]; binds: string[] } {
  const hc = c.HostConfig ?? {};
  const containers = new Set<string>();
  for (const v of (hc['VolumesFrom'] as string[] | null) ?? []) if (typeof v === 'string') containers.add(vfRef(v));
  for (const ns of ['NetworkMode', 'PidMode', 'IpcMode']) {
    const r = refOf(hc[ns]);
    if (r) containers.add(r);
  }
  const volumes = new Set<string>();
  const binds = new Set<string>();
  for (const m of c.Mounts ?? []) {
    if (m.Type === 'volume' && m.Name) volumes.add(m.Name);
    if (m.Type === 'bind' && m.Source) binds.add(m.Source);
  }
  return { containers: [...containers], volumes: [...volumes], binds: [...binds] };
}

const empty = (v: unknown) =>
  v === undefined ||
  v === null ||
  v === '' ||
  v === false ||
  v === 0 ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && v !== null && Object.keys(v).length === 0);
const ANONYMOUS = /^[0-9a-f]{64}$/;

/** The first way the created container breaks `policy`, or null. */
export function checkCreated(c: CreatedInspect, policy: CreatePolicy, facts: CreatedFacts): string | null {
  const hc = c.HostConfig;
  if (!hc) return 'the engine reported no HostConfig';
  if (hc['Privileged'] !== false) return 'Privileged containers are not allowed';
  const allowed = new Set(policy.allowedCaps.map(capName));
  for (const cap of (hc['CapAdd'] as unknown[] | null) ?? []) {
    const n = capName(cap);
    if (n === 'ALL' || !allowed.has(n)) return `capability ${n} is not allowed (allowed: ${[...allowed].join(', ') || 'none'})`;
  }
  for (const f of ['Devices', 'DeviceRequests', 'DeviceCgroupRules', 'Sysctls', 'CgroupParent', 'VolumeDriver', 'Cgroup', 'StorageOpt', 'UTSMode', 'UsernsMode']) {
    if (!empty(hc[f])) return `${f} is not allowed`;
  }
  if (hc['Runtime'] !== facts.engine.defaultRuntime) return `runtime ${String(hc['Runtime'])} is not allowed`;
  if (!empty(hc['Isolation']) && hc['Isolation'] !== 'default') return `Isolation ${String(hc['Isolation'])} is not allowed`;
  const log = (hc['LogConfig'] as { Type?: string } | undefined)?.Type ?? '';
  if (log !== '' && log !== facts.engine.loggingDriver && !LOCAL_LOG_DRIVERS.includes(log)) return `log driver ${log} is not allowed`;
  for (const s of (hc['SecurityOpt'] as unknown[] | null) ?? []) {
    if (typeof s !== 'string' || !['no-new-privileges', 'no-new-privileges:true', 'no-new-privileges=true'].includes(s.toLowerCase()))
      return `security option ${JSON.stringify(s)} is not allowed`;
  }
  const masked = (hc['MaskedPaths'] as string[] | null) ?? [];
  const missing = DEFAULT_MASKED_PATHS.find((p) => !masked.includes(p));
  if (missing) return `MaskedPaths leaves ${missing} unmasked`;
  const ro = (hc['ReadonlyPaths'] as string[] | null) ?? [];
  const writable = DEFAULT_READONLY_PATHS.find((p) => !ro.includes(p));
  if (writable) return `ReadonlyPaths leaves ${writable} writable`;

  // Namespaces: never the host's, and not the namespace of a container that has the host's.
  const net = hc['NetworkMode'];
  if (typeof net !== 'string' || net === 'host') return 'NetworkMode host is not allowed';
  for (const [name, n] of Object.entries(c.NetworkSettings?.Networks ?? {})) {
    if (name === 'host' || (n?.NetworkID && n.NetworkID === facts.engine.hostNetworkId)) return 'the host network is not allowed';
  }
  const pid = hc['PidMode'];
  if (pid !== '' && pid !== undefined && !refOf(pid)) return `PidMode ${String(pid)} is not allowed`;
  const ipc = hc['IpcMode'];
  if (!['', 'private', 'shareable', 'none', undefined].includes(ipc as string) && !refOf(ipc)) return `IpcMode ${String(ipc)} is not allowed`;
  const cgns = hc['CgroupnsMode'];
  // On cgroup v1 the engine's default is the host's cgroup namespace, for every container.
  if (!['', 'private', undefined].includes(cgns as string) && !(cgns === 'host' && facts.engine.cgroupVersion === '1')) return `CgroupnsMode ${String(cgns)} is not allowed`;
  for (const ns of ['NetworkMode', 'PidMode', 'IpcMode'] as const) {
    const r = refOf(hc[ns]);
    if (!r) continue;
    const other = facts.containers.get(r)?.HostConfig;
    if (!other) return `${ns} container:${r}: no such container`;
    const mode = other[ns];
    if (mode === 'host' || refOf(mode)) return `${ns} container:${r} would share ${mode === 'host' ? "the host's" : "another container's"} namespace`;
  }

  // Mounts as the engine will make them: binds (given, or copied by VolumesFrom) and volumes.
  const vf = ((hc['VolumesFrom'] as string[] | null) ?? []).map(vfRef);
  if (vf.length && !policy.allowVolumesFrom) return 'VolumesFrom is not allowed';
  const copied: InspectMount[] = [];
  for (const ref of vf) {
    const other = facts.containers.get(ref);
    if (!other) return `VolumesFrom ${ref}: no such container`;
    const why = checkVolumesFromMounts(ref, other.Mounts ?? []);
    if (why) return why;
    copied.push(...(other.Mounts ?? []));
  }
  const fromVolumesFrom = (m: InspectMount) => copied.some((o) => o.Type === m.Type && o.Source === m.Source && o.Destination === m.Destination && o.Name === m.Name);
  for (const m of c.Mounts ?? []) {
    if (m.Type === 'tmpfs') continue;
    if (fromVolumesFrom(m)) continue;
    if (m.Type === 'bind') {
      const src = normaliseHostPath(m.Source);
      if (src === null) return `bind source ${JSON.stringify(m.Source)} is not an absolute path`;
      const r = facts.binds.get(m.Source ?? '');
      if (!r) return `bind of ${src} could not be resolved`;
      if ('refused' in r) return r.refused;
      continue;
    }
    if (m.Type === 'volume') {
      if (!volumeNameAllowed(policy, m.Name ?? '') && !ANONYMOUS.test(m.Name ?? '')) return `volume ${m.Name ?? ''} is not allowed`;
      const v = facts.volumes.get(m.Name ?? '');
      if (!v) return `volume ${m.Name ?? ''}: no such volume`;
      if ((v.Driver ?? 'local') !== 'local' || !empty(v.Options)) return `volume ${m.Name ?? ''} has driver options (they can bind any host path)`;
      continue;
    }
    return `mount type ${JSON.stringify(m.Type)} is not allowed`;
  }
  return null;
}
