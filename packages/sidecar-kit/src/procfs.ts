/** Parsers for the /proc files a sidecar reads to see its target. Pure: text in, records out. */

export interface MountEntry {
  mountPoint: string;
  fsType: string;
  source: string;
  readOnly: boolean;
}

/** Unescape the octal escapes (\040 for space, ...) the kernel uses in mountinfo paths. */
function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** /proc/self/mountinfo: `id parent major:minor root mountpoint options [optional...] - fstype source superopts`. */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const l = left.split(' ');
    const r = right.split(' ');
    const mountPoint = l[4];
    const opts = l[5] ?? '';
    if (!mountPoint) continue;
    out.push({
      mountPoint: unescapeOctal(mountPoint),
      fsType: r[0] ?? '',
      source: unescapeOctal(r[1] ?? ''),
      readOnly: opts.split(',').includes('ro'),
    });
  }
  return out;
}

const SYSTEM_MOUNTS = /^\/(proc|sys|dev)(\/|$)|^\/etc\/(hosts|hostname|resolv\.conf)$|^\/$|^\/(usr\/)?s?bin\/docker-init$/;

/** The mounts that came from the target or the user (volumes, binds), not the container plumbing. */
export function dataMounts(entries: MountEntry[]): MountEntry[] {
  return entries.filter((m) => !SYSTEM_MOUNTS.test(m.mountPoint) && m.fsType !== 'proc' && m.fsType !== 'sysfs');
}

export interface ListeningSocket {
  protocol: 'tcp' | 'tcp6';
  address: string;
  port: number;
}

/** /proc/net/tcp or tcp6: sockets in state 0A (LISTEN). */
export function parseProcNetTcp(text: string, protocol: 'tcp' | 'tcp6'): ListeningSocket[] {
  const out: ListeningSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    const local = f[1];
    if (!local || f[3] !== '0A') continue;
    const [hexAddr, hexPort] = local.split(':');
    if (!hexAddr || !hexPort) continue;
    out.push({ protocol, address: decodeAddress(hexAddr), port: parseInt(hexPort, 16) });
  }
  return out;
}

function decodeAddress(hex: string): string {
  if (hex.length === 8) {
    // IPv4, little-endian per 32-bit word.
    const b = Buffer.from(hex, 'hex');
    return `${b[3]}.${b[2]}.${b[1]}.${b[0]}`;
  }
  // IPv6: four little-endian 32-bit words.
  const words: string[] = [];
  for (let i = 0; i < 32; i += 8) {
    const b = Buffer.from(hex.slice(i, i + 8), 'hex').reverse();
    words.push(b.toString('hex'));
  }
  const groups = words.join('').match(/.{4}/g) ?? [];
  return groups
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')
    .replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** /proc/net/dev: interface names with rx/tx byte counters. */
export function parseNetDev(text: string): Array<{ name: string; rxBytes: number; txBytes: number }> {
  const out: Array<{ name: string; rxBytes: number; txBytes: number }> = [];
  for (const line of text.split('\n').slice(2)) {
    const m = /^\s*([^:]+):\s*(.*)$/.exec(line);
    if (!m || !m[1] || m[2] === undefined) continue;
    const f = m[2].trim().split(/\s+/).map(Number);
    out.push({ name: m[1].trim(), rxBytes: f[0] ?? 0, txBytes: f[8] ?? 0 });
  }
  return out;
}
