/**
 * Where a config file lives and how it is read and replaced: in a volume or bind mount (through
 * the config sidecar: staged beside the file, renamed into place, previous versions kept), or, with
 * --in-layer, in the container's own layer (through the engine's archive API: written over, no
 * history kept, lost when the container is recreated).
 */
import { posix } from 'node:path';
import { UsageError, UserError } from '@dockside/common';
import { OutputTail, execInContainer, readContainerFile, writeContainerFile, type ContainerMount, type TargetContainer } from '@dockside/engine';
import { HISTORY_DIR, STAGED_MARK, type CommitResult, type FileInfo, type HistoryEntry, type HistoryResult, type StageResult } from '../events.js';
import type { ConfigContext } from './context.js';
import { runConfigProgram } from './sidecar.js';
import { createHash, randomBytes } from 'node:crypto';

export interface FileStore {
  kind: 'volume' | 'layer';
  /** What to call the place in messages ("volume web-conf", "the image's layer"). */
  where: string;
  read(): Promise<{ info: FileInfo; content: Buffer }>;
  /** A kept version's bytes. */
  readVersion(e: HistoryEntry): Promise<Buffer>;
  history(): Promise<HistoryResult>;
  /** A copy beside the file with `content`, or a copy of kept version `n`; its path as the app sees it. */
  stage(source: { content: Buffer } | { version: number }): Promise<StageResult>;
  /** Replace the file by the staged copy, keeping the current one (refused if it is no longer `expect`). */
  commit(staged: string, expect: string): Promise<{ saved?: HistoryEntry; current: FileInfo }>;
  discard(staged: string): Promise<void>;
}

/** The mount a path is in (the deepest one whose destination holds it), if any. */
export function mountOf(target: TargetContainer, path: string): ContainerMount | undefined {
  let best: ContainerMount | undefined;
  for (const m of target.mounts) {
    const d = m.destination.replace(/\/+$/, '') || '/';
    if (path === d || path.startsWith(d === '/' ? '/' : `${d}/`)) if (!best || d.length > best.destination.length) best = m;
  }
  return best;
}

function mountText(m: ContainerMount): string {
  return m.type === 'volume' ? `volume ${m.name}` : `${m.type} mount ${m.source}`;
}

/** The store for `path` on `target`; refuses what cannot be changed safely, with what to do instead. */
export function storeFor(ctx: ConfigContext, target: TargetContainer, path: string, o: { inLayer: boolean; writing: boolean }): FileStore {
  const m = mountOf(target, path);
  if (m && o.inLayer) throw new UsageError(`${path} is in ${mountText(m)}, not in the image's layer: --in-layer is for files outside volumes`, { hint: 'drop --in-layer' });
  if (!m) {
    if (!o.inLayer) {
      throw new UsageError(`${path} is in the image's layer of "${target.name}", not in a volume or bind mount: an edit there is lost when the container is recreated`, {
        hint: `mount a volume at ${posix.dirname(path)} (docker run -v ...), or pass --in-layer to change the container's own copy anyway`,
      });
    }
    return layerStore(ctx, target, path);
  }
  if (m.destination.replace(/\/+$/, '') === path) {
    throw new UsageError(`${path} is a single-file ${m.type} mount (${m.source}): it cannot be replaced by rename, and a staged copy has no directory to go in`, {
      hint: `mount its directory instead (-v dir:${posix.dirname(path)}), or edit ${m.source} on the host`,
    });
  }
  if (o.writing && m.readOnly)
    throw new UsageError(`${path} is in ${mountText(m)}, which "${target.name}" mounts read-only`, { hint: 'change it where it is mounted read-write, or mount it read-write' });
  return volumeStore(ctx, target, path, m);
}

export function historyPath(path: string, e: HistoryEntry): string {
  return posix.join(posix.dirname(path), HISTORY_DIR, posix.basename(path), `${e.n}-${Date.parse(e.replacedAt)}-${e.sha256}`);
}

function volumeStore(ctx: ConfigContext, target: TargetContainer, path: string, m: ContainerMount): FileStore {
  // The sidecar refuses a path that leaves this mount through a symbolic link.
  const root = ['--root', m.destination];
  return {
    kind: 'volume',
    where: mountText(m),
    read: async () => {
      const r = await runConfigProgram<FileInfo>(ctx, target, ['read', path, ...root], { access: 'read' });
      return { info: r.result, content: r.stdout };
    },
    readVersion: async (e) => (await runConfigProgram<FileInfo>(ctx, target, ['read', historyPath(path, e), ...root], { access: 'read' })).stdout,
    history: async () => (await runConfigProgram<HistoryResult>(ctx, target, ['history', path, ...root], { access: 'read' })).result,
    stage: async (source) =>
      'content' in source
        ? (await runConfigProgram<StageResult>(ctx, target, ['stage', path, ...root], { access: 'write', stdin: source.content })).result
        : (await runConfigProgram<StageResult>(ctx, target, ['stage', path, '--version', String(source.version), ...root], { access: 'write' })).result,
    commit: async (staged, expect) =>
      (await runConfigProgram<CommitResult>(ctx, target, ['commit', path, '--staged', staged, '--expect', expect, ...root], { access: 'write' })).result,
    discard: async (staged) => void (await runConfigProgram(ctx, target, ['discard', staged, ...root], { access: 'write' })),
  };
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function layerStore(ctx: ConfigContext, target: TargetContainer, path: string): FileStore {
  let known: { uid: number; gid: number; mode: number } | undefined;
  const stagedContent = new Map<string, Buffer>();
  const read = async () => {
    const f = await readContainerFile(ctx.engine, target.id, path);
    known = { uid: f.uid, gid: f.gid, mode: f.mode };
    return { info: { path, uid: f.uid, gid: f.gid, mode: f.mode, size: f.content.length, sha256: sha256(f.content), mtime: '' }, content: f.content };
  };
  const noHistory = () =>
    new UsageError(`${path} is in the image's layer: dockside keeps no versions of it`, { hint: 'keep configuration in a volume to have history and rollback' });
  // The archive API cannot remove a file: a staged copy goes with the app's own rm, if it has one.
  const remove = async (staged: string) => {
    const out = new OutputTail();
    const code = await execInContainer(ctx.engine, target.id, ['rm', '-f', '--', staged], { stdout: out, stderr: out }).catch(() => -1);
    if (code !== 0) ctx.say(`warning: could not remove the staged copy ${staged} (no rm in the container?); remove it by hand`);
  };
  return {
    kind: 'layer',
    where: "the image's layer",
    read,
    readVersion: async () => {
      throw noHistory();
    },
    history: async () => {
      throw noHistory();
    },
    stage: async (source) => {
      if (!('content' in source)) throw noHistory();
      const meta = known ?? (await read()).info;
      const staged = posix.join(posix.dirname(path), `.${posix.basename(path)}${STAGED_MARK}${randomBytes(4).toString('hex')}`);
      await writeContainerFile(ctx.engine, target.id, staged, { content: source.content, uid: meta.uid, gid: meta.gid, mode: meta.mode });
      stagedContent.set(staged, source.content);
      return { staged, sha256: sha256(source.content) };
    },
    commit: async (staged, expect) => {
      const now = await read();
      if (now.info.sha256 !== expect) throw new UserError(`${path} changed while this change was prepared; nothing was changed`, { hint: 'run the command again' });
      const content = stagedContent.get(staged);
      if (!content) throw new UserError(`no staged copy ${staged}`);
      await writeContainerFile(ctx.engine, target.id, path, { content, uid: now.info.uid, gid: now.info.gid, mode: now.info.mode });
      stagedContent.delete(staged);
      await remove(staged);
      return { current: (await read()).info };
    },
    discard: async (staged) => {
      stagedContent.delete(staged);
      await remove(staged);
    },
  };
}
