/** The destination URL in --to, parsed once (pure): which sink, and its settings. */
import { UsageError } from '@dockside/common';

export type SinkConfig =
  | { kind: 'file'; dir: string }
  | { kind: 'syslog'; transport: 'tcp' | 'udp' | 'tls'; host: string; port: number; insecure: boolean; /** PEM of the CA that signed the receiver's certificate (--tls-ca). */ ca?: string }
  | { kind: 'http'; url: string }
  | { kind: 'loki'; url: string };

const SCHEMES = 'file:///dir, syslog+tcp://host:port, syslog+udp://host:port, syslog+tls://host:port, http(s)://host/path, loki://host:port';

export function parseSinkUrl(raw: string): SinkConfig {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--to "${raw}" is not a URL`, { hint: `use one of ${SCHEMES}` });
  }
  const scheme = url.protocol.replace(/:$/, '');
  const needHost = () => {
    if (!url.hostname) throw new UsageError(`--to "${raw}" has no host`, { hint: `use one of ${SCHEMES}` });
  };
  const port = (def: number) => (url.port ? Number(url.port) : def);
  switch (scheme) {
    case 'file': {
      if (url.hostname) throw new UsageError(`--to "${raw}": a file destination is file:///absolute/dir (three slashes)`);
      const dir = decodeURIComponent(url.pathname).replace(/\/+$/, '') || '/';
      if (dir === '/') throw new UsageError('--to file:/// needs a directory, not the root');
      return { kind: 'file', dir };
    }
    case 'syslog+tcp':
    case 'syslog+udp':
    case 'syslog+tls':
      needHost();
      return {
        kind: 'syslog',
        transport: scheme.slice('syslog+'.length) as 'tcp' | 'udp' | 'tls',
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: port(scheme === 'syslog+tls' ? 6514 : 514),
        insecure: url.searchParams.get('insecure') === '1',
      };
    case 'http':
    case 'https':
      needHost();
      return { kind: 'http', url: url.toString() };
    case 'loki':
      needHost();
      return { kind: 'loki', url: `http://${url.host.includes(':') ? url.host : `${url.host}:3100`}/loki/api/v1/push` };
    default:
      throw new UsageError(`unknown destination scheme "${scheme}" in --to`, { hint: `use one of ${SCHEMES}` });
  }
}

/** Host and port a network sink connects to (for the reachability check at start). */
export function sinkAddress(s: SinkConfig): { host: string; port: number } | undefined {
  if (s.kind === 'syslog') return { host: s.host, port: s.port };
  if (s.kind === 'http' || s.kind === 'loki') {
    const u = new URL(s.url);
    return { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80 };
  }
  return undefined;
}
