import { Args, Flags } from '@oclif/core';
import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';
import { durationFlag } from '../../lib/flags.js';
import { imageRef, ROLE } from '../../lib/images-catalog.js';

export default class Metrics extends DocksideCommand {
  static override summary = 'Show CPU, memory, network, block I/O and pids of running containers, read from cgroups.';
  static override description = `Reads each container's cgroup files (v1 or v2, cgroupfs or systemd driver) and its network counters from /proc/<pid>/net/dev on this host, twice, --sample apart, and prints one line per container: CPU % (of one core), memory usage and limit, working set (usage minus inactive file cache, what the OOM killer looks at), network receive/transmit rates, block read/write rates and pids. It is what \`docker stats --no-stream\` shows, read in milliseconds instead of about a second per container.

A container named on the command line that stops during the sample has no figures: the others are printed, then one line says which is missing, exit 2.

The figures come from the cgroup files where the containers run. When the engine runs on this host they are read directly; when it does not (DOCKER_HOST=tcp:// or ssh://, Docker Desktop's VM) the command says so and reads them through a one-shot metrics sidecar on the engine (the engine host's /sys/fs/cgroup and /proc mounted read-only, no capabilities, no network), or refuses with --source host. Containers joined to another's network (--net container:) share its counters: their network columns name the container whose line shows the traffic.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> web db',
    '<%= config.bin %> <%= command.id %> --sort cpu --sample 2s',
    '<%= config.bin %> <%= command.id %> web --json | jq ".containers[0].memoryWorkingSetBytes"',
    'DOCKER_HOST=ssh://ops@db1 <%= config.bin %> <%= command.id %>',
  ];
  static override strict = false;
  static override args = { containers: Args.string({ description: 'Containers (name, id or unique id prefix); default: every running container.' }) };
  static override flags = {
    sample: durationFlag({ description: 'Time between the two readings rates are computed from.', default: '1s', min: 100, max: 60_000, env: 'DOCKSIDE_METRICS_SAMPLE' }),
    source: Flags.string({
      description: 'Where to read: this host, a one-shot sidecar on the engine, or auto (host when the containers run here).',
      options: ['auto', 'host', 'sidecar'],
      default: 'auto',
      env: 'DOCKSIDE_METRICS_SOURCE',
    }),
    sort: Flags.string({ description: 'Order of the lines.', options: ['name', 'cpu', 'mem', 'net', 'io'], default: 'name', env: 'DOCKSIDE_METRICS_SORT' }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Metrics);
    const { takeSnapshot, renderRates } = await import('@dockside/metrics');
    const snap = await takeSnapshot(await this.engine(), {
      containers: argv as string[],
      sampleMs: flags.sample,
      sort: flags.sort as 'name' | 'cpu' | 'mem' | 'net' | 'io',
      source: flags.source as 'auto' | 'host' | 'sidecar',
      sidecar: { image: imageRef(ROLE.metrics, this.config.version), version: this.config.version, session: this.session },
      notice: (msg) => process.stderr.write(`dockside: ${msg}\n`),
    });
    if (flags.json) this.printJson(snap);
    else if (snap.containers.length) this.log(renderRates(snap.containers));
    else if (!snap.missing.length) this.log('no running containers');
    // A container named but without figures: said, and the exit says it too (the others were printed).
    if (snap.missing.length) {
      const { TargetStateError } = await import('@dockside/common');
      const names = snap.missing.map((m) => `"${m.name}"`).join(', ');
      throw new TargetStateError(`container${snap.missing.length > 1 ? 's' : ''} ${names} stopped during the sample: no figures for ${snap.missing.length > 1 ? 'them' : 'it'}`, {
        hint: 'start it again (`docker start`) and rerun, or leave it out; the others are shown above',
      });
    }
  }
}
