import * as Flags from '@oclif/core/flags';
import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';
import { configArgs, configContext, inLayerFlag, readSource } from '../../lib/config-flags.js';

export default class ConfigDiff extends DocksideCommand {
  static override summary = 'Unified diff of a config file: what the last change did, what a kept version differs by, or what applying a local file would change.';
  static override description =
    'Without --from: the newest kept version (or --version N) against the file as it is now. With --from FILE (or - for stdin): the file as it is now against FILE, as `config apply --from FILE` would show it. Exit 0 either way; --json gives the diff and line counts.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> web /etc/nginx/nginx.conf',
    '<%= config.bin %> <%= command.id %> web nginx --from nginx.conf',
    '<%= config.bin %> <%= command.id %> web nginx --version 2 --json',
  ];
  static override args = configArgs;
  static override flags = {
    from: Flags.string({ char: 'f', description: 'Compare with this local file (- for stdin).', env: 'DOCKSIDE_CONFIG_FROM', exclusive: ['version'] }),
    version: Flags.integer({ description: 'Compare with this kept version (default: the newest).', min: 1, env: 'DOCKSIDE_CONFIG_VERSION' }),
    json: jsonFlag,
    'in-layer': inLayerFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ConfigDiff);
    const { diffConfig } = await import('@dockside/config');
    const against = flags.from ? await readSource(flags.from) : flags.version !== undefined ? { version: flags.version } : {};
    const r = await diffConfig(configContext(await this.engine(), this.config.version, this.session), args.container, args.path, against, flags['in-layer']);
    if (flags.json) return this.printJson(r);
    if (r.diff) process.stdout.write(r.diff);
    else process.stderr.write(`no difference: ${r.from} and ${r.to}\n`);
  }
}
