/**
 * Prometheus text exposition (format 0.0.4) of a collection, with cAdvisor's metric names. Pure.
 * Every series carries `id` (/docker/<id>, like cAdvisor), `name` and `image`, plus
 * `container_label_<key>` for the container labels on the allow-list.
 */
import type { Collection, ContainerMetrics } from './collector.js';

type Kind = 'counter' | 'gauge';

interface Family {
  name: string;
  help: string;
  type: Kind;
  lines: string[];
}

export interface ExpositionOptions {
  /** Container label keys to export as container_label_<sanitised key>. */
  labelAllowList?: string[];
  /** Extra self-metrics appended at the end (already rendered). */
  extra?: string;
}

export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export function sanitizeLabelName(k: string): string {
  const s = k.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

function fmt(n: number): string {
  if (Number.isInteger(n)) return String(n);
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
  return String(n);
}

export function renderExposition(col: Collection, opts: ExpositionOptions = {}): string {
  const fams = new Map<string, Family>();
  const fam = (name: string, type: Kind, help: string): Family => {
    let f = fams.get(name);
    if (!f) {
      f = { name, help, type, lines: [] };
      fams.set(name, f);
    }
    return f;
  };
  const allow = (opts.labelAllowList ?? []).map((k) => [k, `container_label_${sanitizeLabelName(k)}`] as const);

  for (const c of col.containers) {
    const base = baseLabels(c, allow);
    const put = (name: string, type: Kind, help: string, value: number, extra = '') => {
      fam(name, type, help).lines.push(`${name}{${base}${extra}} ${fmt(value)}`);
    };
    const { cpu, memory, pids } = c;
    put('container_cpu_usage_seconds_total', 'counter', 'Cumulative CPU time consumed, in seconds.', cpu.usageSeconds);
    put('container_cpu_user_seconds_total', 'counter', 'Cumulative user CPU time consumed, in seconds.', cpu.userSeconds);
    put('container_cpu_system_seconds_total', 'counter', 'Cumulative system CPU time consumed, in seconds.', cpu.systemSeconds);
    put('container_cpu_cfs_periods_total', 'counter', 'Number of elapsed enforcement period intervals.', cpu.periods);
    put('container_cpu_cfs_throttled_periods_total', 'counter', 'Number of throttled period intervals.', cpu.throttledPeriods);
    put('container_cpu_cfs_throttled_seconds_total', 'counter', 'Total time duration the container has been throttled, in seconds.', cpu.throttledSeconds);
    if (cpu.quotaCores !== null) put('container_spec_cpu_quota_cores', 'gauge', 'CPU quota of the container, in cores (quota / period).', cpu.quotaCores);
    put('container_memory_usage_bytes', 'gauge', 'Current memory usage in bytes, including all memory regardless of when it was accessed.', memory.usage);
    put('container_memory_working_set_bytes', 'gauge', 'Current working set in bytes (usage minus inactive file cache).', memory.workingSet);
    put('container_memory_rss', 'gauge', 'Size of RSS (anonymous memory) in bytes.', memory.rss);
    put('container_memory_cache', 'gauge', 'Number of bytes of page cache memory.', memory.cache);
    put('container_memory_swap', 'gauge', 'Container swap usage in bytes.', memory.swap);
    put('container_spec_memory_limit_bytes', 'gauge', 'Memory limit of the container in bytes (0 when unlimited).', memory.limit ?? 0);
    put('container_oom_events_total', 'counter', 'Count of out-of-memory kills in the container.', memory.oomEvents);
    for (const d of c.io) {
      const dev = `,device="${escapeLabelValue(d.device)}"`;
      put('container_fs_reads_bytes_total', 'counter', 'Cumulative count of bytes read from block devices.', d.readBytes, dev);
      put('container_fs_writes_bytes_total', 'counter', 'Cumulative count of bytes written to block devices.', d.writeBytes, dev);
      put('container_fs_reads_total', 'counter', 'Cumulative count of block device reads completed.', d.reads, dev);
      put('container_fs_writes_total', 'counter', 'Cumulative count of block device writes completed.', d.writes, dev);
    }
    put('container_processes', 'gauge', 'Number of processes (tasks) in the container (pids.current).', pids.current);
    if (pids.limit !== null) put('container_spec_pids_limit', 'gauge', 'Maximum number of tasks allowed in the container (pids.max).', pids.limit);
    if (c.network && !c.network.sharedWith && !c.network.host) {
      for (const i of c.network.interfaces) {
        const ifl = `,interface="${escapeLabelValue(i.iface)}"`;
        put('container_network_receive_bytes_total', 'counter', 'Cumulative count of bytes received.', i.rxBytes, ifl);
        put('container_network_receive_packets_total', 'counter', 'Cumulative count of packets received.', i.rxPackets, ifl);
        put('container_network_receive_errors_total', 'counter', 'Cumulative count of errors encountered while receiving.', i.rxErrors, ifl);
        put('container_network_receive_packets_dropped_total', 'counter', 'Cumulative count of packets dropped while receiving.', i.rxDropped, ifl);
        put('container_network_transmit_bytes_total', 'counter', 'Cumulative count of bytes transmitted.', i.txBytes, ifl);
        put('container_network_transmit_packets_total', 'counter', 'Cumulative count of packets transmitted.', i.txPackets, ifl);
        put('container_network_transmit_errors_total', 'counter', 'Cumulative count of errors encountered while transmitting.', i.txErrors, ifl);
        put('container_network_transmit_packets_dropped_total', 'counter', 'Cumulative count of packets dropped while transmitting.', i.txDropped, ifl);
      }
    }
  }

  const out: string[] = [];
  for (const f of fams.values()) {
    out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`, ...f.lines);
  }
  let text = out.length ? `${out.join('\n')}\n` : '';
  if (opts.extra) text += opts.extra;
  return text;
}

function baseLabels(c: ContainerMetrics, allow: ReadonlyArray<readonly [string, string]>): string {
  const parts = [`id="/docker/${c.id}"`, `image="${escapeLabelValue(c.image)}"`, `name="${escapeLabelValue(c.name)}"`];
  for (const [key, label] of allow) {
    const v = c.labels[key];
    if (v !== undefined) parts.push(`${label}="${escapeLabelValue(v)}"`);
  }
  return parts.join(',');
}
