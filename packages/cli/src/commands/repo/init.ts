import { Args } from '@oclif/core';
import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';
import { passwordFileFlag } from '../../lib/repo-flags.js';

export default class RepoInit extends DocksideCommand {
  static override summary = "Create an encrypted, deduplicating repository in restic's format (v2).";
  static override description =
    'Writes a config (a random chunker polynomial) and one key for the password. restic 0.14 and later read, check and restore it (`restic -r DIR snapshots`). Runs on the host: no sidecar.';
  static override examples = ['<%= config.bin %> <%= command.id %> /var/backups/repo --password-file /root/repo.pw'];
  static override args = { location: Args.string({ description: 'Where: /abs/dir or file:///abs/dir.', required: true }) };
  static override flags = { 'password-file': passwordFileFlag, json: jsonFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(RepoInit);
    const { initRepository } = await import('@dockside/repository');
    const r = await initRepository({ location: args.location, password: { ...(flags['password-file'] ? { file: flags['password-file'] } : {}), env: process.env } });
    if (flags.json) return this.printJson(r);
    this.log(`created repository ${r.id.slice(0, 10)} (version ${r.version}) at ${r.location}, key ${r.keyId.slice(0, 8)}`);
  }
}
