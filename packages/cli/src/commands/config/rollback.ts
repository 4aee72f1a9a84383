import * as Flags from '@oclif/core/flags';
import { DocksideCommand } from '../../lib/base-command.js';
import { changeFlags, changeOptions, configArgs, configContext } from '../../lib/config-flags.js';

export default class ConfigRollback extends DocksideCommand {
  static override summary = 'Put a kept version of a config file back (default: the one the last change replaced), then reload and check as `config apply` does.';
  static override description = `The kept file is copied beside the current one with its own owner, mode and xattrs (byte for byte as it was), validated with --validate, renamed into place (the current file is kept in turn, so a rollback can be rolled back), and the app reloaded and checked. \`dockside config history\` lists the versions.`;
  static override examples = ['<%= config.bin %> <%= command.id %> web /etc/nginx/nginx.conf --reload HUP --yes', '<%= config.bin %> <%= command.id %> web nginx --to 3'];
  static override args = configArgs;
  static override flags = {
    to: Flags.integer({ description: 'The kept version to put back (its number in `config history`). Default: the newest.', min: 1, env: 'DOCKSIDE_CONFIG_TO' }),
    ...changeFlags,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ConfigRollback);
    const { applyConfig } = await import('@dockside/config');
    await applyConfig(
      configContext(await this.engine(), this.config.version, this.session),
      { ...changeOptions(args, flags), inLayer: false },
      { kind: 'version', ...(flags.to !== undefined ? { n: flags.to } : {}) },
    );
  }
}
