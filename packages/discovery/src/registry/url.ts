/**
 * Where instances are registered (`register --to`, `ambassador --from`): one URL, parsed once on the
 * host and handed to the sidecar in its config.
 *   etcd://host:port[/prefix]   etcd v3 (its JSON gateway, /v3/...), keys `<prefix>/<service>/<id>` under a lease
 *   dns:/abs/hostsdir            hosts files for dnsmasq --hostsdir, one per instance
 *   consul://host:port          a Consul agent's HTTP API (services with a TTL check)
 */
import { UsageError } from '@dockside/common';

export type RegistryConfig = { kind: 'etcd'; host: string; port: number; prefix: string } | { kind: 'dns'; dir: string } | { kind: 'consul'; host: string; port: number };

const HINT = 'give etcd://host:2379[/prefix], dns:/path/to/hostsdir or consul://host:8500';

export function parseRegistryUrl(raw: string, flag = '--to'): RegistryConfig {
  const text = raw.trim();
  if (text.startsWith('dns:')) {
    const dir = text.slice('dns:'.length).replace(/^\/\/(?=\/)/, '');
    if (!dir.startsWith('/'))
      throw new UsageError(`${flag} dns: needs an absolute directory (got "${raw}")`, { hint: 'e.g. dns:/etc/dnsmasq.hosts.d (the directory dnsmasq reads with --hostsdir)' });
    return { kind: 'dns', dir: dir.replace(/\/+$/, '') || '/' };
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${flag} is not a registry URL: "${raw}"`, { hint: HINT });
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (scheme !== 'etcd' && scheme !== 'consul') throw new UsageError(`${flag}: unknown registry scheme "${scheme}:" in "${raw}"`, { hint: HINT });
  if (!url.hostname) throw new UsageError(`${flag} names no host: "${raw}"`, { hint: HINT });
  if (url.username || url.password || url.search) throw new UsageError(`${flag}: credentials and query parameters are not supported in "${raw}"`, { hint: HINT });
  const port = url.port ? Number(url.port) : scheme === 'etcd' ? 2379 : 8500;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (scheme === 'consul') {
    if (url.pathname && url.pathname !== '/') throw new UsageError(`${flag}: a consul:// URL takes no path (got "${url.pathname}")`, { hint: HINT });
    return { kind: 'consul', host, port };
  }
  const prefix = url.pathname.replace(/\/+$/, '') || '/dockside/services';
  if (!/^(\/[A-Za-z0-9_.-]+)+$/.test(prefix)) throw new UsageError(`${flag}: etcd prefix must be /segments of letters, digits, _ . - (got "${url.pathname}")`, { hint: HINT });
  return { kind: 'etcd', host, port, prefix };
}

export function displayRegistry(r: RegistryConfig): string {
  if (r.kind === 'dns') return `dns:${r.dir}`;
  const h = r.host.includes(':') ? `[${r.host}]` : r.host;
  return r.kind === 'etcd' ? `etcd://${h}:${r.port}${r.prefix}` : `consul://${h}:${r.port}`;
}

/** A service name as every registry (and DNS) accepts it. */
export function checkServiceName(name: string): string {
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name)) {
    throw new UsageError(`--service must be a DNS label: lower-case letters, digits and -, at most 63 (got "${name}")`, { hint: 'e.g. --service web' });
  }
  return name;
}
