/**
 * The images dockside builds and runs: `dockside/<role>:<version>`, all on one shared base layer.
 * Where their build contexts live: `images/` beside the packages (override: DOCKSIDE_IMAGES_DIR).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SIDECAR_ROLES = ['backup', 'logship', 'netdebug', 'metrics', 'cron'] as const;
export type SidecarRole = (typeof SIDECAR_ROLES)[number];

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
  // packages/cli/dist/lib -> repo root
  const here = dirname(fileURLToPath(import.meta.url));
  const root = resolve(here, '..', '..', '..', '..');
  const dir = join(root, 'images');
  return dir;
}

export function hasImagesDir(env: NodeJS.ProcessEnv = process.env): boolean {
  return existsSync(join(imagesDir(env), 'base'));
}
