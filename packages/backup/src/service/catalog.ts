/** Listing, resolving, verifying and pruning backups in a target. */
import { NotFoundError, UserError } from '@dockside/common';
import { LABEL, runningLabelValues } from '@dockside/engine';
import { MANIFEST_FILE, MANIFEST_FORMAT, type Manifest, type SidecarEvent } from '../model.js';
import { applyRetention, hasPolicy, type Decision, type RetentionPolicy } from '../retention.js';
import type { BackupStore } from '../store/store.js';
import { bootId, liveWriters } from '../lease.js';
import { resolveLocation, type LocationOptions } from './location.js';
import { BACKUP_ID_LABEL, runJob, type ServiceContext } from './sidecar.js';
import { ProgressRenderer } from './progress.js';

export interface Catalog {
  complete: Manifest[];
  /** Backup folders without a manifest (running, killed or failed). */
  incomplete: string[];
}

export function parseManifest(buf: Buffer, id: string): Manifest {
  let m: Manifest;
  try {
    m = JSON.parse(buf.toString('utf8')) as Manifest;
  } catch {
    throw new UserError(`manifest of backup ${id} is not valid JSON`, { code: 'ECORRUPT' });
  }
  if (m.format !== MANIFEST_FORMAT || m.id !== id || !Array.isArray(m.archives)) {
    throw new UserError(`manifest of backup ${id} is not a ${MANIFEST_FORMAT} manifest`, { code: 'ECORRUPT' });
  }
  return m;
}

export async function readCatalog(store: BackupStore, container?: string): Promise<Catalog> {
  await store.checkReadable();
  const complete: Manifest[] = [];
  const incomplete: string[] = [];
  const ids = await store.listIds();
  const manifests = await Promise.all(ids.map(async (id) => ({ id, buf: await store.read(id, MANIFEST_FILE) })));
  for (const { id, buf } of manifests) {
    if (!buf) {
      incomplete.push(id);
      continue;
    }
    const m = parseManifest(buf, id);
    if (!container || m.container.name === container) complete.push(m);
  }
  complete.sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.id.localeCompare(a.id));
  return { complete, incomplete };
}

/** `latest` (newest of `container`, or newest overall) or an exact id. */
export async function resolveManifest(store: BackupStore, id: string, container?: string): Promise<Manifest> {
  if (id === 'latest') {
    const cat = await readCatalog(store);
    const mine = container ? cat.complete.filter((m) => m.container.name === container) : cat.complete;
    const m = mine[0];
    if (!m) {
      throw new NotFoundError(`no complete backup${container ? ` of container "${container}"` : ''} in ${store.description}`, {
        hint: cat.complete.length ? 'pass --id with one of the ids `dockside backup ls` shows' : 'make one with `dockside backup <container> --to ...`',
      });
    }
    return m;
  }
  await store.checkReadable();
  const buf = await store.read(id, MANIFEST_FILE);
  if (!buf) {
    const cat = await readCatalog(store);
    if (cat.incomplete.includes(id)) throw new NotFoundError(`backup ${id} in ${store.description} is incomplete (no manifest) and cannot be used`, { hint: 'the next backup removes it; `dockside backup ls` lists complete ones' });
    throw new NotFoundError(`no backup ${id} in ${store.description}`, { hint: 'see `dockside backup ls --from ...`' });
  }
  return parseManifest(buf, id);
}

export async function listBackups(ctx: ServiceContext, opts: LocationOptions & { container?: string }): Promise<Catalog> {
  const loc = await resolveLocation(opts, ctx.env, 'read');
  return readCatalog(await loc.open(), opts.container);
}

export interface VerifyResult {
  id: string;
  ok: boolean;
  archives: Array<{ file: string; ok: boolean; message?: string }>;
}

export async function verifyBackup(ctx: ServiceContext, opts: LocationOptions & { id: string; container?: string; quick?: boolean }): Promise<VerifyResult> {
  const loc = await resolveLocation(opts, ctx.env, 'read');
  const manifest = await resolveManifest(await loc.open(), opts.id, opts.container);
  const results: VerifyResult['archives'] = [];
  const progress = new ProgressRenderer(ctx.progress, 'verifying');
  await runJob(ctx, {
    job: { op: 'verify', store: loc.sidecar, manifest, deep: !opts.quick },
    location: loc,
    joinVolumes: false,
    capAdd: [],
    readOnlyStore: true,
    onEvent: (e: SidecarEvent) => {
      if (e.t === 'verified') results.push({ file: e.file, ok: e.ok, ...(e.message ? { message: e.message } : {}) });
      else progress.onEvent(e);
    },
  });
  progress.done();
  return { id: manifest.id, ok: results.length === manifest.archives.length && results.every((r) => r.ok), archives: results };
}

export interface PruneResult {
  decisions: Decision[];
  removed: string[];
  leftovers: string[];
  dryRun: boolean;
}

/** Apply retention to complete backups (per container) and remove leftovers of incomplete ones. */
export async function pruneStore(
  ctx: ServiceContext,
  store: BackupStore,
  policy: RetentionPolicy,
  opts: { container?: string; dryRun?: boolean; keepIds?: string[] },
): Promise<PruneResult> {
  if (!hasPolicy(policy)) throw new UserError('say what to keep: --keep-last, --keep-daily and/or --keep-weekly', { exitCode: 2 });
  const cat = await readCatalog(store, opts.container);
  const decisions = applyRetention(
    cat.complete.map((m) => ({ id: m.id, container: m.container.name, startedAt: m.startedAt })),
    policy,
  );
  const active = new Set([...(opts.keepIds ?? []), ...(await runningLabelValues(ctx.engine, { [LABEL.role]: 'backup' }, BACKUP_ID_LABEL))]);
  // Another writer's backup in progress (live lease) is never a leftover.
  const live = new Set((await liveWriters(store, { activeIds: active, bootId: bootId() })).map((l) => l.id));
  const leftovers = cat.incomplete.filter((id) => !active.has(id) && !live.has(id) && (!opts.container || id.startsWith(`${opts.container}-`)));
  const removed: string[] = [];
  if (!opts.dryRun) {
    for (const d of decisions) {
      if (d.keep) continue;
      await store.removeBackup(d.id);
      removed.push(d.id);
    }
    for (const id of leftovers) await store.removeBackup(id);
  }
  return { decisions, removed, leftovers, dryRun: Boolean(opts.dryRun) };
}

export async function pruneBackups(
  ctx: ServiceContext,
  opts: LocationOptions & RetentionPolicy & { container?: string; dryRun?: boolean },
): Promise<PruneResult> {
  const loc = await resolveLocation(opts, ctx.env, 'read');
  return pruneStore(ctx, await loc.open(), opts, opts);
}

export { MANIFEST_FILE };
