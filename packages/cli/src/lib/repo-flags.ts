/** Flags shared by `dockside repo ...`: where the password comes from (never argv or a plain env value of ours). */
import { Flags } from '@oclif/core';

export const passwordFileFlag = Flags.string({
  description: 'File holding the repository password (else RESTIC_PASSWORD_FILE, else RESTIC_PASSWORD).',
  env: 'DOCKSIDE_REPO_PASSWORD_FILE',
});
