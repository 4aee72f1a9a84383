/**
 * The backup sidecar's native addon (packages/backup/native/fsx.c): SEEK_DATA/SEEK_HOLE, xattrs
 * and utimensat with nanoseconds, which Node.js does not expose. It sits next to the bundle in the
 * image (/opt/dockside/fsx.node); from the source tree it is found in images/backup/build/ (built
 * by `npm run build:images`/setup through scripts/prepare-image.mjs), or at $DOCKSIDE_FSX_ADDON.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ImageMissingError } from '@dockside/common';

export interface Fsx {
  /** Offset of the next data at or after `offset`, or -1 when only a hole follows. */
  seekData(fd: number, offset: number): number;
  seekHole(fd: number, offset: number): number;
  utimens(path: Buffer, sec: number, nsec: number, follow: boolean): void;
  futimens(fd: number, sec: number, nsec: number): void;
  listXattrs(path: Buffer): Buffer[];
  getXattr(path: Buffer, name: Buffer): Buffer;
  setXattr(path: Buffer, name: Buffer, value: Buffer): void;
  /** A FIFO or device node; `mode` carries its type (S_IFIFO, S_IFCHR, S_IFBLK). */
  mknod?(path: Buffer, mode: number, major: number, minor: number): void;
}

let cached: Fsx | null | undefined;

/** The addon, or null when it is not there (reported once by the caller). */
export function loadFsx(): Fsx | null {
  if (cached !== undefined) return cached;
  const here = import.meta.url;
  const candidates = [process.env.DOCKSIDE_FSX_ADDON, fileURLToPath(new URL('./fsx.node', here)), fileURLToPath(new URL('../../../../images/backup/build/fsx.node', here))].filter(
    (p): p is string => !!p,
  );
  const require = createRequire(here);
  cached = null;
  for (const p of candidates) {
    if (!existsSync(p)) continue;
    cached = require(p) as Fsx;
    break;
  }
  return cached;
}

/** The addon, or an error saying what is missing. */
export function requireFsx(): Fsx {
  const f = loadFsx();
  if (!f) throw new ImageMissingError('the backup sidecar native addon (fsx.node) is missing', { hint: 'rebuild the image: `dockside images build --only backup --force`' });
  return f;
}
