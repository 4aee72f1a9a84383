/**
 * The self-report every sidecar image gives with `probe`: its role and version, and what it sees of
 * its target: data mounts (with a sample of their entries), network interfaces and listening
 * sockets, and processes when it shares the target's PID namespace.
 */
import { readFile, readdir } from 'node:fs/promises';
import { hostname, networkInterfaces } from 'node:os';
import { dataMounts, parseMountinfo, parseNetDev, parseProcNetTcp, type ListeningSocket } from './procfs.js';

export interface ProbeReport {
  role: string;
  version: string;
  hostname: string;
  mounts: Array<{ path: string; fsType: string; readOnly: boolean; entries: string[]; entryCount: number }>;
  interfaces: Array<{ name: string; addresses: string[]; rxBytes: number; txBytes: number }>;
  listening: ListeningSocket[];
  processes: Array<{ pid: number; command: string }>;
}

async function readText(path: string): Promise<string> {
  return readFile(path, 'utf8').catch(() => '');
}

/** An interface address in CIDR notation (172.17.0.2/16, fe80::1/64), as `ip addr` shows it. */
export function cidrOf(a: { address: string; netmask: string; cidr?: string | null }): string {
  if (a.cidr) return a.cidr;
  // Count the mask's bits: dotted quad or IPv6 groups.
  const bits = a.netmask.includes(':')
    ? a.netmask.split(':').reduce((n, g) => n + (g ? parseInt(g, 16).toString(2).replace(/0/g, '').length : 0), 0)
    : a.netmask.split('.').reduce((n, o) => n + Number(o).toString(2).replace(/0/g, '').length, 0);
  return `${a.address}/${bits}`;
}

export async function probe(role: string, version: string): Promise<ProbeReport> {
  const mounts = dataMounts(parseMountinfo(await readText('/proc/self/mountinfo')));
  const mountReports = await Promise.all(
    mounts.map(async (m) => {
      const names = await readdir(m.mountPoint).catch(() => [] as string[]);
      names.sort();
      return { path: m.mountPoint, fsType: m.fsType, readOnly: m.readOnly, entries: names.slice(0, 20), entryCount: names.length };
    }),
  );
  const addrs = networkInterfaces();
  const interfaces = parseNetDev(await readText('/proc/net/dev')).map((d) => ({
    name: d.name,
    addresses: (addrs[d.name] ?? []).map(cidrOf),
    rxBytes: d.rxBytes,
    txBytes: d.txBytes,
  }));
  const listening = [...parseProcNetTcp(await readText('/proc/net/tcp'), 'tcp'), ...parseProcNetTcp(await readText('/proc/net/tcp6'), 'tcp6')];
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((n) => /^\d+$/.test(n)).map(Number);
  const processes = (await Promise.all(pids.map(async (pid) => ({ pid, command: (await readText(`/proc/${pid}/comm`)).trim() }))))
    .filter((p) => p.command && p.pid !== process.pid)
    .sort((a, b) => a.pid - b.pid);
  return { role, version, hostname: hostname(), mounts: mountReports, interfaces, listening, processes };
}
