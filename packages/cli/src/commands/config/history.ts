import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';
import { configArgs, configContext } from '../../lib/config-flags.js';

export default class ConfigHistory extends DocksideCommand {
  static override summary = 'The kept versions of a config file: number, when it was replaced, sha256, size, owner and mode.';
  static override description =
    'Every change by `config apply`, `edit` and `rollback` keeps the file it replaced in .dockside-config/<name>/ beside it, in the same volume (a hard link: the replaced file itself, byte for byte with its owner, mode and xattrs; the newest 20 are kept). `config rollback --to N` puts version N back; `config diff --version N` compares it with the current file.';
  static override examples = ['<%= config.bin %> <%= command.id %> web /etc/nginx/nginx.conf', '<%= config.bin %> <%= command.id %> web nginx --json'];
  static override args = configArgs;
  static override flags = { json: jsonFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ConfigHistory);
    const { configHistory } = await import('@dockside/config');
    const r = await configHistory(configContext(await this.engine(), this.config.version, this.session), args.container, args.path);
    if (flags.json) return this.printJson(r);
    const mode = (m: number) => `0${m.toString(8)}`;
    const rows = [
      ['N', 'REPLACED', 'SHA256', 'SIZE', 'OWNER', 'MODE'],
      ...r.versions.map((v) => [String(v.n), v.replacedAt, v.sha256.slice(0, 12), String(v.size), `${v.uid}:${v.gid}`, mode(v.mode)]),
    ];
    rows.push(['now', r.current.mtime, r.current.sha256.slice(0, 12), String(r.current.size), `${r.current.uid}:${r.current.gid}`, mode(r.current.mode)]);
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
    for (const row of rows)
      this.log(
        row
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      );
    if (!r.versions.length) process.stderr.write(`no kept versions of ${r.current.path} yet (a change by dockside config keeps the file it replaces)\n`);
  }
}
