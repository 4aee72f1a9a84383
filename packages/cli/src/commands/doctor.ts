import { DocksideCommand, jsonFlag } from '../lib/base-command.js';

export default class Doctor extends DocksideCommand {
  static override summary = 'Check that this host is ready for dockside, and say how to fix what is not.';
  static override description = `Checks, in order: the Docker engine is reachable (DOCKER_HOST or the local socket) and which version and API it speaks; the cgroup version and driver (the metrics collector reads them); that every dockside image is present and was built for this version; and that each image's program actually starts (netdebug: its pcap addon loads in the image's Node). Each failing check comes with a remedy.

Exit code 0 when everything is ready, 1 otherwise.`;
  static override examples = ['<%= config.bin %> <%= command.id %>', 'DOCKER_HOST=ssh://ops@db1 <%= config.bin %> <%= command.id %> --json'];
  static override flags = { json: jsonFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(Doctor);
    const { runDoctor, renderDoctor } = await import('../services/doctor.js');
    const report = await runDoctor(() => this.engine(), this.config.version, this.session);
    if (flags.json) this.printJson(report);
    else this.log(renderDoctor(report));
    if (!report.ok) process.exitCode = 1;
  }
}
