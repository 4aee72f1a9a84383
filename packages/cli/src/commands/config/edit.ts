import { DocksideCommand } from '../../lib/base-command.js';
import { changeFlags, changeOptions, configArgs, configContext, inLayerFlag } from '../../lib/config-flags.js';

export default class ConfigEdit extends DocksideCommand {
  static override summary = "Edit a config file in a container's volumes with your editor, then validate, apply, reload and check it as `config apply` does.";
  static override description = `Reads the file through a throw-away sidecar (the app needs no shell) into a private local copy and opens $VISUAL, $EDITOR or vi on it. When the editor exits, the unified diff is printed and you are asked before anything changes (--yes to skip the question); then the change goes through the same steps as \`dockside config apply\`: staged beside the file, --validate in the app, renamed into place with the previous version kept, --reload, --check with rollback.

Interrupting (Ctrl-C) while the editor runs stops it, removes the local copy and changes nothing.`;
  static override examples = [
    "<%= config.bin %> <%= command.id %> web /etc/nginx/nginx.conf --validate 'nginx -t -c {}' --reload HUP",
    'EDITOR=nano <%= config.bin %> <%= command.id %> web nginx',
  ];
  static override args = configArgs;
  static override flags = { ...changeFlags, 'in-layer': inLayerFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ConfigEdit);
    const { applyConfig, editLocally } = await import('@dockside/config');
    await applyConfig(
      configContext(await this.engine(), this.config.version, this.session),
      { ...changeOptions(args, flags), inLayer: flags['in-layer'] },
      { kind: 'edit', edit: (current, guard) => editLocally(args.path, current, guard) },
    );
  }
}
