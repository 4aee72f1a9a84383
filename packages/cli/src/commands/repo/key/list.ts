import { Args } from '@oclif/core';
import { DocksideCommand, jsonFlag } from '../../../lib/base-command.js';
import { passwordFileFlag } from '../../../lib/repo-flags.js';

export default class RepoKeyList extends DocksideCommand {
  static override summary = "List a repository's keys (one per password).";
  static override description = 'The key the given password opened is marked with *. Runs on the host: no sidecar.';
  static override examples = ['<%= config.bin %> <%= command.id %> /var/backups/repo --password-file /root/repo.pw'];
  static override args = { location: Args.string({ description: 'Where: /abs/dir or file:///abs/dir.', required: true }) };
  static override flags = { 'password-file': passwordFileFlag, json: jsonFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(RepoKeyList);
    const { listRepositoryKeys } = await import('@dockside/repository');
    const { renderTable } = await import('@dockside/common');
    const keys = await listRepositoryKeys({ location: args.location, password: { ...(flags['password-file'] ? { file: flags['password-file'] } : {}), env: process.env } });
    if (flags.json) return this.printJson(keys);
    this.log(
      renderTable(
        ['ID', 'USER', 'HOST', 'CREATED'],
        keys.map((k) => [`${k.current ? '*' : ' '}${k.id.slice(0, 8)}`, k.username, k.hostname, k.created.replace(/\.\d+Z$/, 'Z')]),
      ),
    );
  }
}
