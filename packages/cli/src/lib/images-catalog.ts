/**
 * The images dockside builds and runs: `dockside/<role>:<version>`, all on one shared base layer.
 * Where their build contexts live: `images/` beside the packages (override: DOCKSIDE_IMAGES_DIR).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ROLE, SIDECAR_ROLES, type SidecarRole } from '@dockside/common';

export { ROLE, SIDECAR_ROLES, type SidecarRole };

export const IMAGE_REPO_PREFIX = 'dockside';

/**
 * `dockside/<role>:<tag>`; the tag is this CLI's version unless DOCKSIDE_IMAGE_TAG names another
 * (to run a development build beside a released one).
 */
export function imageRef(role: SidecarRole | 'base', version: string, env: NodeJS.ProcessEnv = process.env): string {
  return `${IMAGE_REPO_PREFIX}/${role}:${env['DOCKSIDE_IMAGE_TAG'] || version}`;
}

export function imagesDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['DOCKSIDE_IMAGES_DIR']) return resolve(env['DOCKSIDE_IMAGES_DIR']);
  // Walk up from this module (dist/, dist-bundle/ or src/ under packages/cli) to the checkout's images/.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'images', 'base', 'Dockerfile'))) return join(dir, 'images');
    const up = dirname(dir);
    if (up === dir) return resolve('images');
    dir = up;
  }
}

export function hasImagesDir(env: NodeJS.ProcessEnv = process.env): boolean {
  return existsSync(join(imagesDir(env), 'base'));
}
