/** Test support: the backup sidecar's fsx addon (built by scripts/setup.sh into images/backup/build). */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { FsExtras } from '../fs-extras.js';

export function testFsx(): FsExtras {
  const p = fileURLToPath(new URL('../../../../images/backup/build/fsx.node', import.meta.url));
  if (!existsSync(p)) throw new Error(`${p} is missing: run scripts/setup.sh (it builds the backup image's fsx addon)`);
  return createRequire(import.meta.url)(p) as FsExtras;
}
