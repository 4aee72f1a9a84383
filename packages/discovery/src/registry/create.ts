import { ConsulRegistry } from './consul.js';
import { DnsRegistry } from './dns.js';
import { EtcdRegistry } from './etcd.js';
import type { Registry } from './registry.js';
import type { RegistryConfig } from './url.js';

export function createRegistry(cfg: RegistryConfig): Registry {
  switch (cfg.kind) {
    case 'etcd':
      return new EtcdRegistry(cfg);
    case 'dns':
      return new DnsRegistry(cfg.dir);
    case 'consul':
      return new ConsulRegistry(cfg);
  }
}
