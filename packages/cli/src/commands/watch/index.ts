import { Args, Flags } from '@oclif/core';
import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';
import { durationFlag } from '../../lib/flags.js';
import { imageRef } from '../../lib/images-catalog.js';

export default class Watch extends DocksideCommand {
  static override summary = 'Run a command in a container, or signal it, whenever the healthy instances of a service change.';
  static override description = `Starts a watch sidecar (restarted with the engine unless stopped) that reads the instances of --upstream from the registry (--from) every --refresh and, when the set of healthy ones changes, runs --exec in the container (as its own user, with DOCKSIDE_UPSTREAMS=addr:port,... and DOCKSIDE_UPSTREAM=<service> set) or sends it --signal. A burst of changes fires once, with the set after the last one (--debounce); one run at a time, and a change during a run fires once more after it. The set the container started with does not fire.

Typical use: regenerate an upstream list and reload (\`--exec "/app/reload-upstreams.sh"\`, \`--signal HUP\` for an app that re-resolves on HUP). Its api-proxy allows exactly that exec (that program, the container's own user) or that kill, plus inspect and events of the container; nothing else. What it did: \`dockside watch ls\` (runs, failures, the last set and exit code).`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> web --upstream api --from etcd://etcd:2379 --exec "/app/reload.sh"',
    '<%= config.bin %> <%= command.id %> proxy --upstream backend --from dns:/srv/hosts --signal HUP --debounce 2s',
  ];
  static override args = { container: Args.string({ description: 'The container to run the command in or signal (name or id).', required: true }) };
  static override flags = {
    upstream: Flags.string({ description: 'Service whose healthy instances are watched.', required: true, env: 'DOCKSIDE_WATCH_UPSTREAM' }),
    from: Flags.string({ description: 'Registry: etcd://host:port[/prefix], dns:/hostsdir, consul://host:port.', required: true, env: 'DOCKSIDE_WATCH_FROM' }),
    exec: Flags.string({ description: 'Command run in the container on each change (DOCKSIDE_UPSTREAMS holds the new set).', env: 'DOCKSIDE_WATCH_EXEC' }),
    signal: Flags.string({ description: 'Signal sent to the container on each change (e.g. HUP).', env: 'DOCKSIDE_WATCH_SIGNAL' }),
    debounce: durationFlag({ description: 'Changes closer together than this fire once.', default: '1s', min: 0, max: 600_000, env: 'DOCKSIDE_WATCH_DEBOUNCE' }),
    refresh: durationFlag({ description: 'How often the list of instances is read again.', default: '500ms', min: 100, max: 60_000, env: 'DOCKSIDE_WATCH_REFRESH' }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Watch);
    const { parseRegistryUrl, parseOnChange, checkServiceName, startAmbassador } = await import('@dockside/discovery');
    const { UsageError } = await import('@dockside/common');
    const onChange = parseOnChange(
      { ...(flags.exec !== undefined ? { exec: flags.exec } : {}), ...(flags.signal !== undefined ? { signal: flags.signal } : {}), debounceMs: flags.debounce },
      { exec: '--exec', signal: '--signal' },
    );
    if (!onChange) throw new UsageError('a watch needs --exec CMD or --signal SIG', { hint: 'e.g. --exec "/app/reload.sh" or --signal HUP' });
    const registry = parseRegistryUrl(flags.from, '--from');
    const info = await startAmbassador(await this.engine(), {
      image: imageRef('discovery', this.config.version),
      version: this.config.version,
      session: this.session,
      target: args.container,
      upstream: checkServiceName(flags.upstream),
      listen: null,
      onChange,
      registry,
      refreshMs: flags.refresh,
      connectTimeoutMs: 1000,
      metricsPort: 0,
    });
    if (flags.json) return this.printJson(info);
    const n = info.status?.instances.filter((i) => i.healthy).length ?? 0;
    this.log(
      `${info.target}: ${onChange.exec ? `runs ${onChange.exec.join(' ')}` : `gets ${onChange.signal}`} when the healthy instances of "${info.upstream}" in ${info.registry} change (${info.container}); ${n} now`,
    );
  }
}
