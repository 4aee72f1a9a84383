import { Args, Flags } from '@oclif/core';
import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';
import { durationFlag } from '../../lib/flags.js';
import { imageRef } from '../../lib/images-catalog.js';

const optional = <K extends string>(k: K, v: string | undefined) => (v === undefined ? {} : ({ [k]: v } as Record<K, string>));
const onChangeOf = <T>(a: T | undefined) => (a ? { onChange: a } : {});

export default class Ambassador extends DocksideCommand {
  static override summary = 'Give a container a localhost port that forwards TCP to the healthy instances of a service.';
  static override description = `Starts an ambassador sidecar (restarted with the engine unless stopped) in the container's network namespace. It listens on loopback there (--listen), so the app connects to localhost:PORT and never learns where the upstream lives, and forwards each connection to an instance of --upstream that the registry (--from) lists as healthy: round-robin, a failed or timed-out connect moves on to the next instance, and an instance the registry withdrew gets no new connection once the list is read again (every --refresh, and at once after a failed connect). Open connections are left as they are.

With --on-change-exec or --on-change-signal it also responds to change: when the set of healthy instances changes it runs the command in the container (DOCKSIDE_UPSTREAMS holds the new set, addr:port comma-separated) or sends it the signal, once per burst of changes (--debounce). Its api-proxy allows exactly that exec (that program, the container's own user) or that kill, nothing else. \`dockside watch\` does the same without a listener.

What it did: \`dockside ambassador ls\` (connections per instance, failures, retries), and Prometheus figures on 127.0.0.1:<--metrics-port>/metrics inside the container's network namespace (e.g. \`dockside debug <container> -- curl -s localhost:9325/metrics\`).`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> api --listen 5432 --upstream pg --from etcd://etcd:2379',
    '<%= config.bin %> <%= command.id %> web --listen 127.0.0.1:8081 --upstream backend --from consul://consul:8500 --refresh 250ms',
  ];
  static override args = { container: Args.string({ description: 'The container that gets the localhost port (name or id).', required: true }) };
  static override flags = {
    listen: Flags.string({ description: '[127.0.0.1:]PORT to listen on inside the container (loopback only).', required: true, env: 'DOCKSIDE_AMBASSADOR_LISTEN' }),
    upstream: Flags.string({ description: 'Service whose instances the connections go to.', required: true, env: 'DOCKSIDE_AMBASSADOR_UPSTREAM' }),
    from: Flags.string({ description: 'Registry: etcd://host:port[/prefix], dns:/hostsdir, consul://host:port.', required: true, env: 'DOCKSIDE_AMBASSADOR_FROM' }),
    refresh: durationFlag({ description: 'How often the list of instances is read again.', default: '500ms', min: 100, max: 60_000, env: 'DOCKSIDE_AMBASSADOR_REFRESH' }),
    'connect-timeout': durationFlag({
      description: 'A connect that takes longer fails over to the next instance.',
      default: '1s',
      min: 50,
      max: 60_000,
      env: 'DOCKSIDE_AMBASSADOR_CONNECT_TIMEOUT',
    }),
    'metrics-port': Flags.integer({
      description: 'Serve /metrics on 127.0.0.1:<port> inside the container (0: none).',
      default: 9325,
      min: 0,
      max: 65535,
      env: 'DOCKSIDE_AMBASSADOR_METRICS_PORT',
    }),
    'on-change-exec': Flags.string({
      description: 'When the set of healthy instances changes, run this command in the container (as its own user), with DOCKSIDE_UPSTREAMS=addr:port,... set.',
      env: 'DOCKSIDE_AMBASSADOR_ON_CHANGE_EXEC',
    }),
    'on-change-signal': Flags.string({
      description: 'When the set of healthy instances changes, send the container this signal (e.g. HUP).',
      env: 'DOCKSIDE_AMBASSADOR_ON_CHANGE_SIGNAL',
    }),
    debounce: durationFlag({
      description: 'Changes closer together than this fire the on-change action once, with the set after the last one.',
      default: '1s',
      min: 0,
      max: 600_000,
      env: 'DOCKSIDE_AMBASSADOR_DEBOUNCE',
    }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Ambassador);
    const { parseRegistryUrl, parseListen, parseOnChange, checkServiceName, startAmbassador } = await import('@dockside/discovery');
    const { UsageError } = await import('@dockside/common');
    const registry = parseRegistryUrl(flags.from, '--from');
    const listen = parseListen(flags.listen);
    if (flags['metrics-port'] === listen.port) throw new UsageError(`--metrics-port ${listen.port} is the --listen port`, { hint: 'give another --metrics-port, or 0 for none' });
    const info = await startAmbassador(await this.engine(), {
      image: imageRef('discovery', this.config.version),
      version: this.config.version,
      session: this.session,
      target: args.container,
      upstream: checkServiceName(flags.upstream),
      listen,
      registry,
      refreshMs: flags.refresh,
      connectTimeoutMs: flags['connect-timeout'],
      metricsPort: flags['metrics-port'],
      ...onChangeOf(
        parseOnChange(
          { ...optional('exec', flags['on-change-exec']), ...optional('signal', flags['on-change-signal']), debounceMs: flags.debounce },
          { exec: '--on-change-exec', signal: '--on-change-signal' },
        ),
      ),
    });
    if (flags.json) return this.printJson(info);
    const n = info.status?.instances.filter((i) => i.healthy).length ?? 0;
    this.log(`${info.target}: localhost ${info.listen} -> "${info.upstream}" from ${info.registry} (${info.container}); ${n} instance${n === 1 ? '' : 's'} listed now`);
  }
}
