/**
 * Pure parsers for the cgroup files the collector reads, v1 and v2. Text in, numbers out; units are
 * normalised here (v1 nanoseconds and v2 microseconds both become seconds) so that everything above
 * this file is layout-agnostic.
 */

/** Lines of `key value` (memory.stat, cpu.stat, cpuacct.stat, memory.events, memory.oom_control). */
export function parseFlatKeyed(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp <= 0) continue;
    const v = Number(line.slice(sp + 1).trim());
    if (Number.isFinite(v)) out.set(line.slice(0, sp), v);
  }
  return out;
}

/** A single number, or `max` (v2) for "no limit". */
export function parseSingle(text: string): number | null {
  const t = text.trim();
  if (t === 'max' || t === '') return null;
  const v = Number(t);
  return Number.isFinite(v) ? v : null;
}

/**
 * v1 limits: a huge number means "no limit" (memory.limit_in_bytes is PAGE_COUNTER_MAX pages,
 * 9223372036854771712 on x86-64). Anything at or above 2^60 is treated as unlimited.
 */
export function v1Limit(text: string): number | null {
  const v = parseSingle(text);
  if (v === null || v < 0 || v >= 2 ** 60) return null;
  return v;
}

/** v2 `cpu.max`: "max 100000" or "50000 100000" -> cores (quota/period), or null for no quota. */
export function parseCpuMax(text: string): number | null {
  const [q, p] = text.trim().split(/\s+/);
  if (!q || q === 'max') return null;
  const quota = Number(q);
  const period = Number(p ?? 100000);
  return quota > 0 && period > 0 ? quota / period : null;
}

/** v1 quota from cpu.cfs_quota_us (-1 for none) and cpu.cfs_period_us -> cores, or null. */
export function v1CpuQuota(quotaText: string, periodText: string): number | null {
  const quota = Number(quotaText.trim());
  const period = Number(periodText.trim());
  return quota > 0 && period > 0 ? quota / period : null;
}

export interface DeviceIo {
  /** `major:minor`. */
  device: string;
  readBytes: number;
  writeBytes: number;
  reads: number;
  writes: number;
}

function devEntry(map: Map<string, DeviceIo>, device: string): DeviceIo {
  let e = map.get(device);
  if (!e) {
    e = { device, readBytes: 0, writeBytes: 0, reads: 0, writes: 0 };
    map.set(device, e);
  }
  return e;
}

/** v2 io.stat: `8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0`. */
export function parseIoStat(text: string): DeviceIo[] {
  const map = new Map<string, DeviceIo>();
  for (const line of text.split('\n')) {
    const [device, ...pairs] = line.trim().split(/\s+/);
    if (!device || !/^\d+:\d+$/.test(device)) continue;
    const e = devEntry(map, device);
    for (const p of pairs) {
      const [k, v] = p.split('=');
      const n = Number(v);
      if (!Number.isFinite(n)) continue;
      if (k === 'rbytes') e.readBytes += n;
      else if (k === 'wbytes') e.writeBytes += n;
      else if (k === 'rios') e.reads += n;
      else if (k === 'wios') e.writes += n;
    }
  }
  return [...map.values()];
}

/**
 * v1 blkio.throttle.io_service_bytes(_recursive) and io_serviced(_recursive):
 * `8:0 Read 4096` ... `Total 123`. `into` receives bytes or operation counts.
 */
export function parseBlkio(bytesText: string, opsText: string): DeviceIo[] {
  const map = new Map<string, DeviceIo>();
  const scan = (text: string, bytes: boolean) => {
    for (const line of text.split('\n')) {
      const [device, op, value] = line.trim().split(/\s+/);
      if (!device || !op || value === undefined || !/^\d+:\d+$/.test(device)) continue;
      const n = Number(value);
      if (!Number.isFinite(n)) continue;
      const e = devEntry(map, device);
      if (op === 'Read') bytes ? (e.readBytes += n) : (e.reads += n);
      else if (op === 'Write') bytes ? (e.writeBytes += n) : (e.writes += n);
    }
  };
  scan(bytesText, true);
  scan(opsText, false);
  return [...map.values()];
}

export interface NetIface {
  iface: string;
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  rxDropped: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
  txDropped: number;
}

/** /proc/<pid>/net/dev, every counter the exporter publishes. */
export function parseNetDevFull(text: string): NetIface[] {
  const out: NetIface[] = [];
  const lines = text.split('\n');
  for (let i = 2; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    if (f.length < 16) continue;
    out.push({
      iface: line.slice(0, colon).trim(),
      rxBytes: f[0] ?? 0,
      rxPackets: f[1] ?? 0,
      rxErrors: f[2] ?? 0,
      rxDropped: f[3] ?? 0,
      txBytes: f[8] ?? 0,
      txPackets: f[9] ?? 0,
      txErrors: f[10] ?? 0,
      txDropped: f[11] ?? 0,
    });
  }
  return out;
}

/**
 * /proc/<pid>/cgroup lines `hierarchy-id:controllers:path`. Returns controller -> path; the v2
 * unified entry (`0::/path`) is keyed by the empty string.
 */
export function parseProcCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    const ctrls = (m[2] as string).split(',');
    for (const c of ctrls) out.set(c.replace(/^name=/, 'name='), m[3] as string);
  }
  return out;
}

/** v1 cpuacct.usage_all: `cpu user system` then one line per CPU, in ns. Returns the sums. */
export function parseUsageAll(text: string): { user: number; system: number } {
  let user = 0;
  let system = 0;
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const f = (lines[i] as string).trim().split(/\s+/);
    if (f.length < 3) continue;
    user += Number(f[1]) || 0;
    system += Number(f[2]) || 0;
  }
  return { user, system };
}
