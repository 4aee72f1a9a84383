/** Building images: a context folder with the classic builder, or a root file system imported as an image. */
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join, relative } from 'node:path';
import createDebug from 'debug';
import { UserError } from '@dockside/common';
import { dockerOf } from '../connection/client.js';
import type { Engine } from '../connection/engine.js';
import { mapEngineError } from '../connection/errors.js';
import { loadTarStream } from '../streams/tar.js';
import { inspectImage } from './catalog.js';

const debug = createDebug('dockside:images');

/** Pack a folder (files, dirs, symlinks; modes kept, owners zeroed) as a tar stream. */
export async function packDirectory(dir: string): Promise<NodeJS.ReadableStream> {
  const tar = await loadTarStream();
  const pack = tar.pack();
  const walk = async (abs: string): Promise<void> => {
    const entries = await readdir(abs, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const p = join(abs, e.name);
      const name = relative(dir, p);
      const st = await lstat(p);
      const common = { name, mode: st.mode & 0o7777, mtime: st.mtime, uid: 0, gid: 0 };
      if (st.isDirectory()) {
        pack.entry({ ...common, type: 'directory' });
        await walk(p);
      } else if (st.isSymbolicLink()) {
        pack.entry({ ...common, type: 'symlink', linkname: await readlink(p) });
      } else if (st.isFile()) {
        await new Promise<void>((resolve, reject) => {
          const entry = pack.entry({ ...common, size: st.size }, (err) => (err ? reject(err) : resolve()));
          const src = createReadStream(p);
          src.on('error', reject);
          src.pipe(entry);
        });
      }
    }
  };
  walk(dir).then(
    () => pack.finalize(),
    (err) => pack.destroy(err as Error),
  );
  return pack as unknown as NodeJS.ReadableStream;
}

export interface BuildOptions {
  contextDir: string;
  tag: string;
  labels?: Record<string, string>;
  buildArgs?: Record<string, string>;
  dockerfile?: string;
  /** Each line the builder prints. */
  onLog?: (line: string) => void;
  pull?: boolean;
}

/** Build an image with the engine's classic builder. Fails with the builder's own error line. */
export async function buildImage(engine: Engine, opts: BuildOptions): Promise<string> {
  const context = await packDirectory(opts.contextDir);
  let stream: NodeJS.ReadableStream;
  try {
    stream = await (
      await dockerOf(engine)
    ).buildImage(context, {
      t: opts.tag,
      labels: opts.labels ?? {},
      buildargs: opts.buildArgs ?? {},
      dockerfile: opts.dockerfile ?? 'Dockerfile',
      rm: true,
      forcerm: true,
      pull: opts.pull ? true : undefined,
    });
  } catch (err) {
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: `building ${opts.tag}` });
  }
  return followJsonStream(engine, stream, `building ${opts.tag}`, opts.onLog).then(async () => {
    const img = await inspectImage(engine, opts.tag);
    if (!img) throw new UserError(`building ${opts.tag}: the build finished but the image is missing`);
    return img.id;
  });
}

/** Import a root file system tarball as an image (`docker import`). */
export async function importRootfs(engine: Engine, tarball: string, repo: string, tag: string): Promise<void> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await (await dockerOf(engine)).importImage(createReadStream(tarball), { repo, tag });
  } catch (err) {
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: `importing ${repo}:${tag}` });
  }
  await followJsonStream(engine, stream, `importing ${repo}:${tag}`);
}

/** Follow a JSON-lines progress stream (build, import, pull); reject on its first error record. */
async function followJsonStream(engine: Engine, stream: NodeJS.ReadableStream, doing: string, onLog?: (line: string) => void): Promise<void> {
  const docker = await dockerOf(engine);
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, output: Array<{ error?: string; errorDetail?: { message?: string } }>) => {
        if (err) return reject(mapEngineError(err, { endpoint: engine.endpoint, doing }));
        const failed = output?.find((o) => o.error || o.errorDetail);
        if (failed) {
          const msg = (failed.errorDetail?.message ?? failed.error ?? 'unknown error').trim();
          return reject(new UserError(`${doing} failed: ${msg}`, { code: 'EBUILD' }));
        }
        resolve();
      },
      (ev: { stream?: string; status?: string; error?: string }) => {
        const text = (ev.stream ?? ev.status ?? '').replace(/\n$/, '');
        if (text) {
          debug('%s', text);
          onLog?.(text);
        }
      },
    );
  });
}
