import { Flags } from '@oclif/core';
import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';
import { durationFlag, listFlag } from '../../lib/flags.js';
import { imageRef, ROLE } from '../../lib/images-catalog.js';

export default class MetricsServe extends DocksideCommand {
  static override summary = 'Start the Prometheus exporter sidecar: /metrics and /healthz for every container.';
  static override description = `Starts one long-running sidecar (restarted with the engine unless stopped) that reads every container's cgroup files and network counters each --interval and serves them on /metrics in the Prometheus text format, with cAdvisor's metric names (container_cpu_usage_seconds_total, container_memory_working_set_bytes, container_network_receive_bytes_total, container_fs_writes_bytes_total, ...) and labels id, name, image plus container_label_<key> for the labels you allow. /healthz answers 200 while collections are fresh.

The sidecar gets the host's /sys/fs/cgroup and /proc read-only, and no Docker socket: it reaches the engine through its own api-proxy container (the only one holding the socket), which lets through the few read calls it makes for container names, images, labels and pids (list, inspect, events) and refuses every other call with 403; removing the exporter removes the proxy. It runs with every capability dropped, a read-only root file system, no host PID namespace, and its port is published on 127.0.0.1 unless --listen says otherwise. With --token-file, scrapes must send "Authorization: Bearer <token>"; the token is copied into the sidecar as a file, so it never shows in docker inspect, argv or logs.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --port 9400 --interval 15s',
    '<%= config.bin %> <%= command.id %> --listen 0.0.0.0 --token-file /etc/dockside/metrics.token',
    '<%= config.bin %> <%= command.id %> --label com.example.team --label com.docker.compose.service',
  ];
  static override flags = {
    port: Flags.integer({ description: 'Host port to publish /metrics on.', default: 9323, min: 1, max: 65535, env: 'DOCKSIDE_METRICS_PORT' }),
    interval: durationFlag({
      description: 'How often to collect (scrapes serve the latest collection).',
      default: '10s',
      min: 1000,
      max: 3_600_000,
      env: 'DOCKSIDE_METRICS_INTERVAL',
    }),
    listen: Flags.string({ description: 'Host address to publish on (0.0.0.0 exposes it to the network).', default: '127.0.0.1', env: 'DOCKSIDE_METRICS_LISTEN' }),
    'token-file': Flags.string({ description: 'File holding a bearer token scrapes must present.', env: 'DOCKSIDE_METRICS_TOKEN_FILE' }),
    label: listFlag({
      description: 'Container label to export as container_label_<key> (repeatable; default: compose project and service).',
      commaSeparatedArguments: true,
      env: 'DOCKSIDE_METRICS_LABELS',
    }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(MetricsServe);
    const { UsageError } = await import('@dockside/common');
    const { isIP } = await import('node:net');
    if (!isIP(flags.listen)) throw new UsageError(`--listen must be an IP address (got "${flags.listen}")`, { hint: 'e.g. 127.0.0.1 (default) or 0.0.0.0' });
    const { startMetricsService, DEFAULT_LABEL_ALLOW_LIST } = await import('@dockside/metrics');
    const info = await startMetricsService(await this.engine(), {
      image: imageRef(ROLE.metrics, this.config.version),
      version: this.config.version,
      session: this.session,
      port: flags.port,
      listen: flags.listen,
      intervalMs: flags.interval,
      ...(flags['token-file'] ? { tokenFile: flags['token-file'] } : {}),
      labelAllowList: flags.label?.length ? flags.label : DEFAULT_LABEL_ALLOW_LIST,
    });
    if (flags.json) return this.printJson(info);
    this.log(`metrics exporter ${info.name} (${info.id.slice(0, 12)}) serving ${info.url}${info.auth ? ' (bearer token required)' : ''}`);
    if (!['127.0.0.1', '::1'].includes(flags.listen) && !info.auth)
      this.warn(`published on ${flags.listen} without --token-file: anyone who can reach this host can read every container's metrics`);
    this.log('stop it with: dockside metrics stop');
  }
}
