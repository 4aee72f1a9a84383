/**
 * One file of a container's own file system through the engine's archive API (GET/PUT
 * /containers/{id}/archive): what `docker cp` does. Used for files in an image's layer, which no
 * sidecar can reach (--volumes-from shares volumes only). Works on running and stopped containers.
 */
import { posix } from 'node:path';
import { NotFoundError } from '@dockside/common';
import { dockerOf } from '../connection/client.js';
import type { Engine } from '../connection/engine.js';
import { mapEngineError, statusOf } from '../connection/errors.js';
import { loadTarStream } from '../streams/tar.js';

export interface ArchivedFile {
  content: Buffer;
  uid: number;
  gid: number;
  mode: number;
}

const MAX_FILE_BYTES = 16 * 1024 * 1024;

/** Read one regular file; NotFoundError when the container has no such file. */
export async function readContainerFile(engine: Engine, id: string, path: string): Promise<ArchivedFile> {
  const doing = `reading ${path} from container ${id.slice(0, 12)}`;
  let stream: NodeJS.ReadableStream;
  try {
    stream = (await (await dockerOf(engine)).getContainer(id).getArchive({ path })) as NodeJS.ReadableStream;
  } catch (err) {
    if (statusOf(err) === 404) throw new NotFoundError(`no such file ${path} in the container`, { hint: 'give the path as the application sees it' });
    throw mapEngineError(err, { endpoint: engine.endpoint, doing });
  }
  const tar = await loadTarStream();
  const extract = tar.extract();
  return new Promise<ArchivedFile>((resolve, reject) => {
    let found: ArchivedFile | undefined;
    let failure: Error | undefined;
    extract.on('entry', (h, body, next) => {
      const chunks: Buffer[] = [];
      let size = 0;
      body.on('data', (data: unknown) => {
        const c = data as Buffer;
        size += c.length;
        if (size <= MAX_FILE_BYTES) chunks.push(c);
      });
      body.on('end', () => {
        if (!found && !failure) {
          if (h.type !== 'file') failure = new NotFoundError(`${path} in the container is not a regular file (${h.type})`);
          else if (size > MAX_FILE_BYTES) failure = new NotFoundError(`${path} is larger than ${MAX_FILE_BYTES} bytes: not a configuration file`);
          else found = { content: Buffer.concat(chunks), uid: h.uid ?? 0, gid: h.gid ?? 0, mode: (h.mode ?? 0o644) & 0o7777 };
        }
        next();
      });
      body.on('error', reject);
    });
    extract.on('finish', () => (failure ? reject(failure) : found ? resolve(found) : reject(new NotFoundError(`no such file ${path} in the container`))));
    extract.on('error', (err: Error) => reject(mapEngineError(err, { endpoint: engine.endpoint, doing })));
    stream.on('error', (err: Error) => reject(mapEngineError(err, { endpoint: engine.endpoint, doing })));
    stream.pipe(extract);
  });
}

/** Write one regular file (owner and mode as given), extracted by the engine into its directory. */
export async function writeContainerFile(engine: Engine, id: string, path: string, file: ArchivedFile): Promise<void> {
  const tar = await loadTarStream();
  const pack = tar.pack();
  pack.entry({ name: posix.basename(path), mode: file.mode, uid: file.uid, gid: file.gid, size: file.content.length, mtime: new Date() }, file.content);
  pack.finalize();
  try {
    await (await dockerOf(engine)).getContainer(id).putArchive(pack as unknown as NodeJS.ReadableStream, { path: posix.dirname(path) });
  } catch (err) {
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: `writing ${path} into container ${id.slice(0, 12)}` });
  }
}
