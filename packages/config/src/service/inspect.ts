/** `config show`, `config diff` and `config history`: reading a file and its kept versions, never writing. */
import { UserError, EXIT } from '@dockside/common';
import { resolveContainer } from '@dockside/engine';
import { diffStat, unifiedDiff } from '../diff.js';
import type { FileInfo, HistoryResult } from '../events.js';
import { resolveSpec } from '../spec.js';
import type { ConfigContext } from './context.js';
import { storeFor, type FileStore } from './store.js';

async function open(ctx: ConfigContext, container: string, ref: string, inLayer: boolean): Promise<{ name: string; path: string; store: FileStore }> {
  const target = await resolveContainer(ctx.engine, container);
  const spec = resolveSpec(ref, target.labels, {}, target.name);
  return { name: target.name, path: spec.path, store: storeFor(ctx, target, spec.path, { inLayer, writing: false }) };
}

export interface ShowResult {
  container: string;
  where: string;
  file: FileInfo;
  content: Buffer;
}

export async function showConfig(ctx: ConfigContext, container: string, ref: string, inLayer: boolean): Promise<ShowResult> {
  const { name, store } = await open(ctx, container, ref, inLayer);
  const { info, content } = await store.read();
  return { container: name, where: store.where, file: info, content };
}

export interface DiffResult {
  container: string;
  path: string;
  from: string;
  to: string;
  diff: string;
  added: number;
  removed: number;
}

/**
 * The current file against `against`: a local file's bytes (what applying it would change), or a
 * kept version (default: the newest, i.e. what the last change did).
 */
export async function diffConfig(
  ctx: ConfigContext,
  container: string,
  ref: string,
  against: { content: Buffer; label: string } | { version?: number },
  inLayer: boolean,
): Promise<DiffResult> {
  const { name, path, store } = await open(ctx, container, ref, inLayer);
  const current = await store.read();
  let before: string;
  let after: string;
  let from: string;
  let to: string;
  if ('content' in against) {
    from = `${path} (${name})`;
    to = against.label;
    before = current.content.toString('utf8');
    after = against.content.toString('utf8');
  } else {
    const { versions } = await store.history();
    const v = against.version === undefined ? versions.at(-1) : versions.find((e) => e.n === against.version);
    if (!v)
      throw new UserError(against.version === undefined ? `${path} on ${name} has no kept version to compare with` : `${path} on ${name} has no kept version ${against.version}`, {
        exitCode: EXIT.usage,
        hint: `see \`dockside config history ${name} ${path}\``,
      });
    from = `${path} (version ${v.n}, ${v.replacedAt})`;
    to = `${path} (${name}, current)`;
    before = (await store.readVersion(v)).toString('utf8');
    after = current.content.toString('utf8');
  }
  return { container: name, path, from, to, diff: unifiedDiff(before, after, { from, to }), ...diffStat(before, after) };
}

export async function configHistory(ctx: ConfigContext, container: string, ref: string): Promise<HistoryResult & { container: string }> {
  const { name, store } = await open(ctx, container, ref, false);
  return { container: name, ...(await store.history()) };
}
