import { Args } from '@oclif/core';
import { DocksideCommand, jsonFlag } from '../../../lib/base-command.js';
import { passwordFileFlag } from '../../../lib/repo-flags.js';

export default class RepoKeyRemove extends DocksideCommand {
  static override summary = 'Remove a key from a repository.';
  static override description =
    'Never the key the given password opened (open with another password to remove that one), so a repository always keeps one. Runs on the host: no sidecar.';
  static override examples = ['<%= config.bin %> <%= command.id %> /var/backups/repo 1a2b3c4d --password-file /root/repo.pw'];
  static override args = {
    location: Args.string({ description: 'Where: /abs/dir or file:///abs/dir.', required: true }),
    id: Args.string({ description: 'The key id, or a unique prefix of it (see `dockside repo key list`).', required: true }),
  };
  static override flags = { 'password-file': passwordFileFlag, json: jsonFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(RepoKeyRemove);
    const { removeRepositoryKey } = await import('@dockside/repository');
    const r = await removeRepositoryKey({ location: args.location, password: { ...(flags['password-file'] ? { file: flags['password-file'] } : {}), env: process.env } }, args.id);
    if (flags.json) return this.printJson(r);
    this.log(`removed key ${r.keyId.slice(0, 8)}`);
  }
}
