/** The destination URL in --to, parsed once (pure): which sink, and its settings. */
import { UsageError } from '@dockside/common';

export type SinkConfig =
  | { kind: 'file'; dir: string }
  | {
      kind: 'syslog';
      transport: 'tcp' | 'udp' | 'tls';
      host: string;
      port: number;
      insecure: boolean;
      /** PEM of the CA that signed the receiver's certificate (--tls-ca). */ ca?: string;
    }
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
      if (url.hostname) {
        // file://relative/dir parses as host "relative": a relative directory, which a sidecar cannot have.
        throw new UsageError(`--to "${raw}": a file destination needs an absolute directory, file:///absolute/dir (three slashes)`, {
          hint: `"${url.hostname}" reads as a host name here; for a directory under the current one write file://$PWD/${decodeURIComponent(url.hostname + url.pathname).replace(/^\/+/, '')}`,
        });
      }
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

/** Query keys that are dockside's own settings (not secrets), shown as given. */
const SETTINGS = new Set(['insecure']);

/**
 * A destination URL as it may be shown (stdout, `logs status`, the dockside.logship.sink label that
 * `docker inspect` prints): user info, every query value but dockside's own settings, and the
 * fragment masked, since tokens travel in all three (`?token=`, `#sig`).
 */
export function displaySinkUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return '(unparsable URL)';
  }
  const scheme = url.protocol;
  const auth = url.username || url.password ? '***@' : '';
  const host = url.host;
  const query = url.search
    ? `?${url.search
        .slice(1)
        .split('&')
        .map((pair) => {
          const eq = pair.indexOf('=');
          if (eq < 0) return pair;
          const key = pair.slice(0, eq);
          return SETTINGS.has(decodeURIComponent(key)) ? pair : `${key}=***`;
        })
        .join('&')}`
    : '';
  const fragment = url.hash ? '#***' : '';
  // file:///dir has an empty host; the others keep the path as written.
  return `${scheme}//${auth}${host}${url.pathname === '/' && !raw.replace(/[?#].*$/, '').endsWith('/') ? '' : url.pathname}${query}${fragment}`;
}
