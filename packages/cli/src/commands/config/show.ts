import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';
import { configArgs, configContext, inLayerFlag } from '../../lib/config-flags.js';

export default class ConfigShow extends DocksideCommand {
  static override summary = "Print a config file from a container's volumes (read-only sidecar, no shell needed in the app).";
  static override description =
    'The bytes go to stdout as they are. With --json: the owner, mode, size, sha256 and modification time too, and the content (as text when it is UTF-8, else base64 in contentBase64).';
  static override examples = ['<%= config.bin %> <%= command.id %> web /etc/nginx/nginx.conf', '<%= config.bin %> <%= command.id %> web nginx --json'];
  static override args = configArgs;
  static override flags = { json: jsonFlag, 'in-layer': inLayerFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ConfigShow);
    const { showConfig } = await import('@dockside/config');
    const r = await showConfig(configContext(await this.engine(), this.config.version, this.session), args.container, args.path, flags['in-layer']);
    if (!flags.json) {
      process.stdout.write(r.content);
      return;
    }
    const text = r.content.toString('utf8');
    const utf8 = Buffer.from(text, 'utf8').equals(r.content);
    this.printJson({
      container: r.container,
      where: r.where,
      ...r.file,
      mode: `0${r.file.mode.toString(8)}`,
      ...(utf8 ? { content: text } : { contentBase64: r.content.toString('base64') }),
    });
  }
}
