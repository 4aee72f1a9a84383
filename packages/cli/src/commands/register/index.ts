import { Args, Flags } from '@oclif/core';
import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';
import { durationFlag, listFlag } from '../../lib/flags.js';
import { imageRef } from '../../lib/images-catalog.js';

export default class Register extends DocksideCommand {
  static override summary = 'Publish a container in a service registry while its health check passes, from a sidecar in its network namespace.';
  static override description = `Starts a register sidecar (restarted with the engine unless stopped) joined to the container's network namespace. It checks the app from inside, on 127.0.0.1:<port> (no address guessing), and while the check passes publishes the address the container has on --network (or on its only network) with the port. A failing check withdraws the entry at once; a passing one brings it back. The entry lives under a lease/TTL that the sidecar keeps alive, so if the sidecar is killed the entry expires by itself (etcd, Consul). When the app is stopped or killed, the entry is withdrawn on its kill event, before the app dies; when the app starts again, the sidecar follows it into its new namespace. At start, entries of this host for the same service that containers gone by then left behind are removed.

Registries (--to): etcd://host:port[/prefix] (keys <prefix>/<service>/<id>, JSON values, under a lease; default prefix /dockside/services), dns:/dir (hosts files for dnsmasq --hostsdir: <service> resolves to the instances while they are healthy), consul://host:8500 (a Consul agent: a service with a TTL check). The sidecar reaches the registry from the app's network: give an address the app itself could reach.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> web --service web --port 8080 --check http:/healthz --to etcd://etcd:2379',
    '<%= config.bin %> <%= command.id %> db --service pg --port 5432 --check "exec:pg_isready -h 127.0.0.1" --to consul://consul:8500',
    '<%= config.bin %> <%= command.id %> api --service api --port 80 --network backend --tag v2 --to dns:/etc/dnsmasq.hosts.d',
    '<%= config.bin %> <%= command.id %> --all --to etcd://etcd:2379',
  ];
  static override args = { container: Args.string({ description: 'The container to register (name or id); or --all.' }) };
  static override flags = {
    all: Flags.boolean({
      description:
        'Register every running container that declares itself by labels (dockside.register.service, .port, .check, .interval, .ttl, .network, .tags, .to); the flags are the defaults.',
      default: false,
      env: 'DOCKSIDE_REGISTER_ALL',
    }),
    service: Flags.string({ description: 'Service name (a DNS label).', env: 'DOCKSIDE_REGISTER_SERVICE' }),
    port: Flags.integer({ description: 'Port the app listens on inside its container (checked and published).', min: 1, max: 65535, env: 'DOCKSIDE_REGISTER_PORT' }),
    check: Flags.string({
      description: 'Health check from inside: http:/path (2xx/3xx), tcp (connect), exec:CMD (exit 0, run by sh in the sidecar).',
      default: 'tcp',
      env: 'DOCKSIDE_REGISTER_CHECK',
    }),
    interval: durationFlag({ description: 'Time between checks.', default: '5s', min: 200, max: 3_600_000, env: 'DOCKSIDE_REGISTER_INTERVAL' }),
    ttl: durationFlag({
      description: 'Lease of an entry: how long it outlives a sidecar that died (at least twice --interval).',
      default: '15s',
      min: 2000,
      max: 86_400_000,
      env: 'DOCKSIDE_REGISTER_TTL',
    }),
    network: Flags.string({ description: "Network whose address is published (default: the container's only network).", env: 'DOCKSIDE_REGISTER_NETWORK' }),
    tag: listFlag({ description: 'Tag recorded with the instance (repeatable).', env: 'DOCKSIDE_REGISTER_TAG' }),
    to: Flags.string({ description: 'Registry: etcd://host:port[/prefix], dns:/hostsdir, consul://host:port.', env: 'DOCKSIDE_REGISTER_TO' }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Register);
    const { parseRegistryUrl, parseCheck, checkServiceName, startRegister, validateTimes } = await import('@dockside/discovery');
    const { UsageError } = await import('@dockside/common');
    const check = parseCheck(flags.check);
    const base = { image: imageRef('discovery', this.config.version), version: this.config.version, session: this.session };
    if (flags.all) {
      if (args.container) throw new UsageError('give either a container or --all, not both');
      const { registerLabelled } = await import('../../services/register-all.js');
      return registerLabelled(
        this,
        await this.engine(),
        base,
        { check, intervalMs: flags.interval, ttlMs: flags.ttl, ...(flags.to ? { registry: parseRegistryUrl(flags.to) } : {}) },
        flags.json,
      );
    }
    if (!args.container)
      throw new UsageError('name the container to register, or give --all', { hint: 'e.g. `dockside register web --service web --port 8080 --to etcd://etcd:2379`' });
    if (!flags.service || !flags.port || !flags.to)
      throw new UsageError(`register ${args.container} needs ${['--service', '--port', '--to'].filter((f) => !flags[f.slice(2) as 'service' | 'port' | 'to']).join(', ')}`);
    const registry = parseRegistryUrl(flags.to);
    validateTimes(flags.interval, flags.ttl);
    const info = await startRegister(await this.engine(), {
      ...base,
      target: args.container,
      service: checkServiceName(flags.service),
      port: flags.port,
      check,
      intervalMs: flags.interval,
      ttlMs: flags.ttl,
      ...(flags.network ? { network: flags.network } : {}),
      tags: flags.tag ?? [],
      registry,
    });
    if (flags.json) return this.printJson(info);
    const r = info.registered;
    this.log(`registering ${info.target} as "${info.service}" in ${info.registry} (${info.container})`);
    if (r) this.log(`${r.state === 'published' ? 'published' : 'not published yet'}: ${r.address}:${r.port}${r.lastCheck ? ` (check: ${r.lastCheck.detail})` : ''}`);
    if (info.stale?.length) this.log(`removed stale entries: ${info.stale.join(', ')}`);
  }
}
