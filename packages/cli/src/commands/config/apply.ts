import * as Flags from '@oclif/core/flags';
import { DocksideCommand } from '../../lib/base-command.js';
import { changeFlags, configArgs, changeOptions, configContext, inLayerFlag, readSource } from '../../lib/config-flags.js';

export default class ConfigApply extends DocksideCommand {
  static override summary = "Replace a config file in a container's volumes: validated in the app, renamed into place, reloaded, health-checked, rolled back if unhealthy.";
  static override description = `Reads the file through a throw-away sidecar that joins the container's volumes (the app needs no shell), prints a unified diff against --from, and asks before going on (--yes to skip the question). Then:

1. the new bytes are staged beside the file, in the same volume, with its owner, mode and xattrs;
2. --validate runs in the app itself with {} replaced by the staged copy (e.g. 'nginx -t -c {}'): if it fails, its output is printed, the copy removed, and the file is untouched (exit 1);
3. the staged copy is renamed over the file (atomic: the app reads the old file or the new one), and the replaced file is kept in .dockside-config/<name>/ beside it (see \`config history\`, \`config rollback\`);
4. --reload sends a signal or restarts the container;
5. --check (or the container's HEALTHCHECK) must pass within --deadline: if not, or if the app exited, the previous file is put back, the app reloaded again, and the command exits 1 saying so.

A file in the image's layer is refused (an edit there is lost on the next docker run) unless --in-layer is given. Labels dockside.config.<name>.path, .validate, .reload and .check on the container declare all of it, so \`dockside config apply web nginx --from f\` needs no flags; flags override labels.`;
  static override examples = [
    "<%= config.bin %> <%= command.id %> web /etc/nginx/nginx.conf --from nginx.conf --validate 'nginx -t -c {}' --reload HUP --check http:/health",
    '<%= config.bin %> <%= command.id %> web nginx --from nginx.conf --yes',
    'generate-conf | <%= config.bin %> <%= command.id %> app /srv/conf/app.ini --from - --yes --reload restart --check tcp:8080',
  ];
  static override args = configArgs;
  static override flags = {
    from: Flags.string({ char: 'f', description: 'The new file, or - for stdin.', required: true, env: 'DOCKSIDE_CONFIG_FROM' }),
    ...changeFlags,
    'in-layer': inLayerFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ConfigApply);
    const { applyConfig } = await import('@dockside/config');
    const source = await readSource(flags.from);
    await applyConfig(
      configContext(await this.engine(), this.config.version, this.session),
      { ...changeOptions(args, flags), inLayer: flags['in-layer'] },
      { kind: 'content', ...source },
    );
  }
}
