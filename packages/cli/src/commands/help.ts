import * as Args from '@oclif/core/args';
import { DocksideCommand } from '../lib/base-command.js';

export default class Help extends DocksideCommand {
  static override summary = 'Show help for a command (the same as `dockside <command> --help`).';
  static override examples = ['<%= config.bin %> <%= command.id %> debug', '<%= config.bin %> <%= command.id %> logs ship'];
  static override strict = false;
  static override args = { command: Args.string({ description: 'The command, e.g. debug or logs ship (default: every command).' }) };

  async run(): Promise<void> {
    const { argv } = await this.parse(Help);
    const words = (argv as string[]).filter((w) => !w.startsWith('-'));
    const id = words.join(':');
    if (id && !this.config.findCommand(id) && !this.config.findTopic(id)) {
      const { unknownCommand } = await import('../lib/unknown-command.js');
      throw await unknownCommand(this.config, id);
    }
    const { loadHelpClass } = await import('@oclif/core/help');
    const HelpClass = await loadHelpClass(this.config);
    await new HelpClass(this.config, this.config.pjson.oclif.helpOptions).showHelp(words);
  }
}
