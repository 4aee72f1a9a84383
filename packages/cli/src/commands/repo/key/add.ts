import { Args, Flags } from '@oclif/core';
import { DocksideCommand, jsonFlag } from '../../../lib/base-command.js';
import { passwordFileFlag } from '../../../lib/repo-flags.js';

export default class RepoKeyAdd extends DocksideCommand {
  static override summary = 'Add a key for another password to a repository.';
  static override description = 'Both passwords then open it, with dockside and with restic. Runs on the host: no sidecar.';
  static override examples = ['<%= config.bin %> <%= command.id %> /var/backups/repo --password-file /root/repo.pw --new-password-file /root/second.pw'];
  static override args = { location: Args.string({ description: 'Where: /abs/dir or file:///abs/dir.', required: true }) };
  static override flags = {
    'password-file': passwordFileFlag,
    'new-password-file': Flags.string({ description: 'File holding the new password.', env: 'DOCKSIDE_REPO_NEW_PASSWORD_FILE', required: true }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(RepoKeyAdd);
    const { addRepositoryKey } = await import('@dockside/repository');
    const r = await addRepositoryKey(
      { location: args.location, password: { ...(flags['password-file'] ? { file: flags['password-file'] } : {}), env: process.env } },
      flags['new-password-file'],
    );
    if (flags.json) return this.printJson(r);
    this.log(`added key ${r.keyId.slice(0, 8)}`);
  }
}
