import { Args, Flags } from '@oclif/core';
import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';
import { listFlag } from '../../lib/flags.js';
import { imageRef } from '../../lib/images-catalog.js';

export default class LogsShip extends DocksideCommand {
  static override summary = 'Ship every line of the selected containers to a destination, once, across restarts and kills.';
  static override description = `Starts a long-running log shipper sidecar (restarted with the engine unless stopped) that follows the stdout and stderr of the selected containers through the Docker API and sends each line to the destination in --to. Containers that start later and match are picked up within a second or two; a full reconcile follows a dropped event stream.

Positions (per container and stream: the nanosecond time of the last delivered line and how many lines at that instant were delivered) advance only once the destination acknowledged a batch, and are kept on the shipper's own volume (dockside-logship-<name>), written atomically. After a kill or a restart nothing is lost while Docker still holds the lines; the file sink never repeats a line (it records its committed length), syslog may repeat the last unacknowledged batch. Lines rotated away before they could be shipped are reported as gaps (see \`dockside logs status\`). One shipper runs per --name (its container is dockside-logship-<name>). Running the command again replaces it: the old shipper keeps running until the new one found its destination reachable, then stops (saving its positions) and the new one resumes where it stopped; if the new one does not start, the old one is kept (restarted if it was already stopped) and nothing else changes. A second \`logs ship\` with the same --name while one is starting is refused (exit 2).

Destinations: file:///dir (dir/logs.ndjson, one JSON object per line: time, container, container_id, stream, message), syslog+tcp://host:port (RFC 5424, octet-counted), syslog+udp://, syslog+tls:// (add ?insecure=1 to skip certificate checks), http(s)://host/path (gzipped NDJSON batches, retried on 429/5xx), loki://host:port (Loki push API). A receiver on this host's 127.0.0.1 needs --network host.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> web worker --to file:///var/log/shipped',
    '<%= config.bin %> <%= command.id %> --all --to syslog+tcp://127.0.0.1:514 --network host',
    '<%= config.bin %> <%= command.id %> --label com.docker.compose.project=shop --to loki://loki.internal:3100 --name shop',
    '<%= config.bin %> <%= command.id %> api --to https://logs.example.com/ingest --multiline-start java',
    "<%= config.bin %> <%= command.id %> legacy --files '/var/log/app/*.log' --to file:///var/log/shipped --name legacy",
  ];
  static override strict = false;
  static override args = { container: Args.string({ description: 'Containers to ship (names or ids); more may follow.' }) };
  static override flags = {
    to: Flags.string({ description: 'Destination URL: file:///dir, syslog+tcp|udp|tls://host:port, http(s)://..., loki://host:port.', required: true, env: 'DOCKSIDE_LOGS_TO' }),
    all: Flags.boolean({ description: "Ship every container (dockside's own sidecars excepted), including ones started later.", default: false, env: 'DOCKSIDE_LOGS_ALL' }),
    label: listFlag({ description: 'Ship containers carrying this label (key or key=value); repeatable, all must match.', env: 'DOCKSIDE_LOGS_LABEL' }),
    name: Flags.string({
      description: 'Name of this shipper (several can run side by side); its positions are kept under this name.',
      default: 'default',
      env: 'DOCKSIDE_LOGS_NAME',
    }),
    'max-line': Flags.string({ description: 'Longest line kept whole; longer lines are cut there and marked "truncated".', default: '1MiB', env: 'DOCKSIDE_LOGS_MAX_LINE' }),
    'multiline-start': Flags.string({
      description: 'Regular expression that starts a record; following lines that do not match join it. Presets: java, python, go.',
      env: 'DOCKSIDE_LOGS_MULTILINE_START',
    }),
    files: listFlag({
      description: 'Also ship log files the container writes into its volumes (glob as the container sees it; repeatable; one named container).',
      env: 'DOCKSIDE_LOGS_FILES',
    }),
    network: Flags.string({
      description: "Network of the shipper (host reaches a receiver on this host's 127.0.0.1). Default: none for file destinations, the default bridge otherwise.",
      env: 'DOCKSIDE_LOGS_NETWORK',
    }),
    'tls-ca': Flags.string({ description: "CA certificate (PEM file) that signed the syslog+tls receiver's certificate (default: the system CAs).", env: 'DOCKSIDE_LOGS_TLS_CA' }),
    'metrics-port': Flags.integer({ description: 'Serve /metrics of the shipper on 127.0.0.1:<port> of the host.', min: 1, max: 65535, env: 'DOCKSIDE_LOGS_METRICS_PORT' }),
    swarm: Flags.boolean({
      description:
        'Ship every task of the --service Swarm services, on every node, through the fleet agent (DOCKER_HOST: a manager; `dockside fleet up` first). Lines carry their Swarm node, service, task and slot.',
      default: false,
      env: 'DOCKSIDE_SWARM',
    }),
    service: listFlag({ description: 'With --swarm: a Swarm service whose tasks to ship; repeatable.', env: 'DOCKSIDE_LOGS_SERVICE' }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(LogsShip);
    const { validateShipConfig, startShipper, displaySinkUrl, parseMaxLine, readTlsCa } = await import('@dockside/logship');
    const maxLine = parseMaxLine(flags['max-line']);
    if (flags.swarm || flags.service?.length) return this.shipSwarm(flags, argv as string[], maxLine);
    const config = validateShipConfig({
      name: flags.name,
      to: flags.to,
      selection: { containers: argv as string[], all: flags.all, labels: flags.label ?? [] },
      maxLine,
      ...(flags['multiline-start'] ? { multilineStart: flags['multiline-start'] } : {}),
      files: flags.files ?? [],
    });
    if (flags['tls-ca']) {
      const ca = await readTlsCa(flags['tls-ca'], config.sink);
      if (config.sink.kind === 'syslog') config.sink.ca = ca;
    }
    // Ctrl-C or SIGTERM while it starts: the start is undone (the old shipper kept), then exit 130/143.
    const abort = new AbortController();
    const onSignal = (sig: NodeJS.Signals) => abort.abort(sig);
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, onSignal);
    const info = await startShipper(await this.engine(), {
      signal: abort.signal,
      image: imageRef('logship', this.config.version),
      version: this.config.version,
      session: this.session,
      config,
      sinkDisplay: displaySinkUrl(flags.to),
      ...(flags.network ? { network: flags.network } : {}),
      ...(flags['metrics-port'] ? { metricsPort: flags['metrics-port'] } : {}),
    }).finally(() => {
      for (const sig of ['SIGINT', 'SIGTERM'] as const) process.removeListener(sig, onSignal);
    });
    if (flags.json) return this.printJson(info);
    this.log(`log shipper "${info.name}" (${info.container}) shipping to ${info.sink}`);
    if (flags['metrics-port']) this.log(`metrics: http://127.0.0.1:${flags['metrics-port']}/metrics`);
    this.log(`see it with: dockside logs status${info.name === 'default' ? '' : ` --name ${info.name}`}`);
  }

  /** `--swarm`: one chore in the fleet agent's spec; every node's agent starts a shipper per task. */
  private async shipSwarm(
    flags: {
      swarm: boolean;
      service?: string[] | undefined;
      to: string;
      name: string;
      all: boolean;
      label?: string[] | undefined;
      files?: string[] | undefined;
      network?: string | undefined;
      'metrics-port'?: number | undefined;
      'multiline-start'?: string | undefined;
      'tls-ca'?: string | undefined;
      json: boolean;
    },
    argv: string[],
    maxLine: number,
  ): Promise<void> {
    const { UsageError } = await import('@dockside/common');
    if (!flags.swarm) throw new UsageError('--service goes with --swarm');
    if (!flags.service?.length)
      throw new UsageError('--swarm needs at least one --service', { hint: 'e.g. `dockside logs ship --swarm --service web --to file:///var/log/shipped`' });
    const other = argv.length
      ? 'container names'
      : flags.all
        ? '--all'
        : flags.label?.length
          ? '--label'
          : flags.files?.length
            ? '--files'
            : flags.network
              ? '--network'
              : flags['metrics-port']
                ? '--metrics-port'
                : flags['multiline-start']
                  ? '--multiline-start'
                  : flags['tls-ca']
                    ? '--tls-ca'
                    : '';
    if (other) throw new UsageError(`${other} cannot be combined with --swarm (the fleet ships whole Swarm services)`);
    const { validateShipConfig } = await import('@dockside/logship');
    validateShipConfig({ name: flags.name, to: flags.to, selection: { containers: ['x'], all: false, labels: [] }, maxLine, files: [] });
    const { checkChoreId, putChore, waitAgents } = await import('@dockside/fleet');
    const { fleetImages } = await import('../../lib/fleet-images.js');
    if (flags.to.startsWith('file://')) {
      // The directory must exist on every node (the fleet's nodes here share this machine's).
      const { mkdir } = await import('node:fs/promises');
      await mkdir(new URL(flags.to).pathname, { recursive: true }).catch(() => undefined);
    }
    const engine = await this.engine();
    const chores = await putChore(engine, fleetImages(this.config.version), { id: checkChoreId(flags.name), kind: 'logs', services: flags.service, to: flags.to, maxLine });
    await waitAgents(engine, 90_000);
    if (flags.json) return this.printJson({ name: flags.name, services: flags.service, chores: chores.map((c) => c.id) });
    this.log(`fleet chore "${flags.name}": every task of ${flags.service.join(', ')} ships to ${flags.to}; see it with: dockside fleet status`);
  }
}
