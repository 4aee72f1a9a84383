/**
 * `dockside images build`: the shared base, then one image per sidecar on top of it. Each image is
 * labelled with a hash of its build context (and of its base), so a rebuild skips what is current.
 * A sidecar image is built under a candidate tag and gets its real tag only once its program
 * starts (image-startup.ts): an image that cannot run its program (e.g. a native addon built for
 * another Node) is removed and the build fails, so it never replaces a working one.
 */
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '@dockside/common';
import { IMAGE_LABEL, buildImage, importRootfs, inspectImage, removeImage, tagImage, type Engine } from '@dockside/engine';
import { hashDirectory } from './context-hash.js';
import { imageRef, imagesDir, SIDECAR_ROLES, type SidecarRole } from '../lib/images-catalog.js';
import { startupFailure, STARTUP_REMEDY } from './image-startup.js';
import { ensureNodeBinary, ensureRootfsTarball, rootfsTag } from './offline-base.js';

export interface BuildImagesOptions {
  version: string;
  offline: boolean;
  only?: SidecarRole[] | undefined;
  force?: boolean;
  /** Progress lines (what is being built). */
  log: (line: string) => void;
  /** Builder output, line by line (only with --verbose). */
  builderLog?: (line: string) => void;
}

export interface BuiltImage {
  role: SidecarRole | 'base';
  ref: string;
  id: string;
  status: 'built' | 'up-to-date';
  seconds: number;
}

const ROOTFS_REPO = 'dockside/rootfs';

export async function buildImages(engine: Engine, opts: BuildImagesOptions): Promise<BuiltImage[]> {
  const dir = imagesDir();
  await stat(join(dir, 'base')).catch(() => {
    throw new UserError(`no image sources at ${dir}`, { hint: 'run from a dockside checkout, or set DOCKSIDE_IMAGES_DIR' });
  });
  const results: BuiltImage[] = [];
  const base = await buildBase(engine, dir, opts);
  results.push(base);
  for (const role of opts.only?.length ? opts.only : SIDECAR_ROLES) {
    results.push(await buildSidecar(engine, dir, role, base.id, opts));
  }
  return results;
}

async function upToDate(engine: Engine, ref: string, hash: string, force?: boolean): Promise<string | undefined> {
  if (force) return undefined;
  const img = await inspectImage(engine, ref);
  return img && img.labels[IMAGE_LABEL.contextHash] === hash ? img.id : undefined;
}

/**
 * Build through `build`, then drop the image the tag pointed to before, unless a container still
 * uses it: rebuilds do not leave dangling dockside images behind.
 */
async function replacing(engine: Engine, ref: string, build: () => Promise<string>): Promise<string> {
  const previous = (await inspectImage(engine, ref))?.id;
  const id = await build();
  if (previous && previous !== id) await removeImage(engine, previous);
  return id;
}

function labels(role: string, version: string, hash: string): Record<string, string> {
  return { [IMAGE_LABEL.managed]: 'true', [IMAGE_LABEL.role]: role, [IMAGE_LABEL.version]: version, [IMAGE_LABEL.contextHash]: hash };
}

async function buildBase(engine: Engine, dir: string, opts: BuildImagesOptions): Promise<BuiltImage> {
  const ref = imageRef('base', opts.version);
  const t0 = Date.now();
  const contextDir = join(dir, 'base');
  const mode = opts.offline ? 'offline' : 'online';
  const hash = await hashDirectory(contextDir, [mode]);
  const current = await upToDate(engine, ref, hash, opts.force);
  if (current) return { role: 'base', ref, id: current, status: 'up-to-date', seconds: 0 };

  if (!opts.offline) {
    opts.log(`building ${ref} from the official node:22-bookworm-slim image`);
    try {
      const id = await replacing(engine, ref, () => buildImage(engine, { contextDir, tag: ref, labels: labels('base', opts.version, hash), ...builder(opts) }));
      return { role: 'base', ref, id, status: 'built', seconds: (Date.now() - t0) / 1000 };
    } catch (err) {
      if (err instanceof UserError && /pull|manifest|registry|lookup|dial|timeout|not found/i.test(err.message)) {
        throw new UserError(`cannot get node:22-bookworm-slim from a registry (${err.message.split(': ').pop()})`, {
          hint: 'on hosts without a registry, build the base from Debian packages: `dockside images build --offline`',
          cause: err,
        });
      }
      throw err;
    }
  }

  // Offline: Debian root file system -> image, then Node on top (Dockerfile.offline).
  const rootfs = await ensureRootfsTarball(opts.log);
  const rootfsTagName = await rootfsTag(rootfs);
  const rootfsRef = `${ROOTFS_REPO}:${rootfsTagName}`;
  if (!(await inspectImage(engine, rootfsRef)) || opts.force) {
    opts.log(`importing ${rootfsRef} from ${rootfs}`);
    await importRootfs(engine, rootfs, ROOTFS_REPO, rootfsTagName);
  }
  const node = await ensureNodeBinary(opts.log);
  const ctx = await mkdtemp(join(tmpdir(), 'dockside-base-'));
  try {
    await cp(join(contextDir, 'Dockerfile.offline'), join(ctx, 'Dockerfile'));
    await cp(node, join(ctx, 'node'));
    opts.log(`building ${ref} offline (Debian ${rootfsTagName} + Node 22 from npm)`);
    const id = await replacing(engine, ref, () =>
      buildImage(engine, {
        contextDir: ctx,
        tag: ref,
        labels: labels('base', opts.version, hash),
        buildArgs: { ROOTFS_IMAGE: rootfsRef },
        ...builder(opts),
      }),
    );
    return { role: 'base', ref, id, status: 'built', seconds: (Date.now() - t0) / 1000 };
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
}

async function buildSidecar(engine: Engine, dir: string, role: SidecarRole, baseId: string, opts: BuildImagesOptions): Promise<BuiltImage> {
  const ref = imageRef(role, opts.version);
  const t0 = Date.now();
  const contextDir = join(dir, role);
  const bundle = join(contextDir, 'build', `${role}.mjs`);
  await readFile(bundle).catch(() => {
    throw new UserError(`the ${role} program is not built (${bundle} is missing)`, { hint: 'run `npm run build` first' });
  });
  const hash = await hashDirectory(contextDir, [baseId]);
  const current = await upToDate(engine, ref, hash, opts.force);
  if (current) return { role, ref, id: current, status: 'up-to-date', seconds: 0 };
  opts.log(`building ${ref}`);
  const candidate = `${ref}-unchecked`;
  const id = await buildImage(engine, {
    contextDir,
    tag: candidate,
    labels: labels(role, opts.version, hash),
    buildArgs: { BASE_IMAGE: imageRef('base', opts.version) },
    ...builder(opts),
  });
  const failure = await startupFailure(engine, id, role, { version: opts.version, session: randomBytes(6).toString('hex') });
  if (failure) {
    await removeImage(engine, candidate, { force: true });
    throw new UserError(`${ref} was built but its program does not start, so it was not kept: ${failure}`, {
      hint: role === 'netdebug' ? 'the pcap addon in images/netdebug/build does not load in the image; `npm run build` rebuilds it for Node 22' : STARTUP_REMEDY,
      code: 'EIMAGESTART',
    });
  }
  await replacing(engine, ref, async () => {
    const colon = ref.lastIndexOf(':');
    await tagImage(engine, id, ref.slice(0, colon), ref.slice(colon + 1));
    await removeImage(engine, candidate);
    return id;
  });
  return { role, ref, id, status: 'built', seconds: (Date.now() - t0) / 1000 };
}

function builder(opts: BuildImagesOptions): { onLog?: (line: string) => void } {
  return opts.builderLog ? { onLog: opts.builderLog } : {};
}

/** The expected context hash of each sidecar image, for `doctor` (undefined when sources are absent). */
export async function expectedHashes(engine: Engine, version: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const dir = imagesDir();
  const base = await inspectImage(engine, imageRef('base', version));
  if (!base) return out;
  for (const role of SIDECAR_ROLES) {
    const bundle = join(dir, role, 'build', `${role}.mjs`);
    if (
      await stat(bundle).then(
        () => true,
        () => false,
      )
    )
      out.set(role, await hashDirectory(join(dir, role), [base.id]));
  }
  return out;
}
