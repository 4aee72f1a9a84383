/** Listing, resolving, verifying and pruning backups in a target. */
import { NotFoundError, UserError } from '@dockside/common';
import { CorruptArchiveError } from '../errors.js';
import { LABEL, runningLabelValues } from '@dockside/engine';
import { MANIFEST_FILE, MANIFEST_FORMAT, type Manifest } from '../model.js';
import { applyRetention, hasPolicy, type Decision, type RetentionPolicy } from '../retention.js';
import type { Destination } from '../destination/destination.js';
import { resolveDestination, type DestinationOptions } from '../destination/resolve.js';
import { BACKUP_ID_LABEL, runJob, type ServiceContext } from './job-runner.js';
import { bootId, isDeadLeftover } from '../destination/lease.js';
import { ProgressRenderer } from './progress.js';

export interface Catalog {
  complete: Manifest[];
  /** Backup folders without a manifest (running, killed or failed). */
  incomplete: string[];
  /** Backups whose manifest cannot be read: reported and skipped, never used nor pruned. */
  unreadable: Array<{ id: string; message: string }>;
}

export function parseManifest(buf: Buffer, id: string): Manifest {
  let m: Manifest;
  try {
    m = JSON.parse(buf.toString('utf8')) as Manifest;
  } catch {
    throw new CorruptArchiveError(`manifest of backup ${id} is not valid JSON`);
  }
  if (m.format !== MANIFEST_FORMAT || m.id !== id || !Array.isArray(m.archives)) {
    throw new CorruptArchiveError(`manifest of backup ${id} is not a ${MANIFEST_FORMAT} manifest`);
  }
  return m;
}

export async function readCatalog(destination: Destination, container?: string): Promise<Catalog> {
  await destination.checkReadable();
  const complete: Manifest[] = [];
  const incomplete: string[] = [];
  const unreadable: Catalog['unreadable'] = [];
  const ids = await destination.listIds();
  const manifests = await Promise.all(
    ids.map(async (id) => {
      try {
        return { id, buf: await destination.read(id, MANIFEST_FILE) };
      } catch (err) {
        return { id, err: err as Error };
      }
    }),
  );
  for (const r of manifests) {
    if (r.err) {
      unreadable.push({ id: r.id, message: r.err.message });
      continue;
    }
    if (!r.buf) {
      incomplete.push(r.id);
      continue;
    }
    // One bad manifest is reported and skipped: it must not make the whole destination unusable.
    let m: Manifest;
    try {
      m = parseManifest(r.buf, r.id);
    } catch (err) {
      unreadable.push({ id: r.id, message: (err as Error).message });
      continue;
    }
    if (!container || m.container.name === container) complete.push(m);
  }
  complete.sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.id.localeCompare(a.id));
  return { complete, incomplete, unreadable };
}

/** `latest` (newest of `container`, or newest overall) or an exact id. */
export async function resolveManifest(destination: Destination, id: string, container?: string): Promise<Manifest> {
  if (id === 'latest') {
    const cat = await readCatalog(destination);
    const mine = container ? cat.complete.filter((m) => m.container.name === container) : cat.complete;
    const m = mine[0];
    if (!m) {
      throw new NotFoundError(`no complete backup${container ? ` of container "${container}"` : ''} in ${destination.description}`, {
        hint: cat.complete.length ? 'pass --id with one of the ids `dockside backup ls` shows' : 'make one with `dockside backup <container> --to ...`',
      });
    }
    return m;
  }
  await destination.checkReadable();
  const buf = await destination.read(id, MANIFEST_FILE);
  if (!buf) {
    const cat = await readCatalog(destination);
    if (cat.incomplete.includes(id))
      throw new NotFoundError(`backup ${id} in ${destination.description} is incomplete (no manifest) and cannot be used`, {
        hint: 'the next backup removes it; `dockside backup ls` lists complete ones',
      });
    throw new NotFoundError(`no backup ${id} in ${destination.description}`, { hint: 'see `dockside backup ls --from ...`' });
  }
  return parseManifest(buf, id);
}

export async function listBackups(ctx: ServiceContext, opts: DestinationOptions & { container?: string }): Promise<Catalog> {
  const dest = await resolveDestination(opts, ctx.env, 'read');
  return readCatalog(await dest.open(), opts.container);
}

export interface VerifyResult {
  id: string;
  ok: boolean;
  archives: Array<{ file: string; ok: boolean; message?: string }>;
}

export async function verifyBackup(ctx: ServiceContext, opts: DestinationOptions & { id: string; container?: string; quick?: boolean }): Promise<VerifyResult> {
  const dest = await resolveDestination(opts, ctx.env, 'read');
  const manifest = await resolveManifest(await dest.open(), opts.id, opts.container);
  const results: VerifyResult['archives'] = [];
  const progress = new ProgressRenderer(ctx.progress, 'verifying');
  await runJob(ctx, {
    job: { op: 'verify', destination: dest.sidecar, manifest, deep: !opts.quick },
    destination: dest,
    joinVolumes: false,
    capAdd: [],
    readOnlyDestination: true,
    onEvent: (e) => {
      if (e.type === 'progress' && e.name === 'verified') results.push({ file: e.data.file, ok: e.data.ok, ...(e.data.message ? { message: e.data.message } : {}) });
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
export async function pruneDestination(
  ctx: ServiceContext,
  destination: Destination,
  policy: RetentionPolicy,
  opts: { container?: string; dryRun?: boolean; keepIds?: string[] },
): Promise<PruneResult> {
  if (!hasPolicy(policy))
    throw new UserError('say what to keep: --keep-last, --keep-daily and/or --keep-weekly', {
      exitCode: 2,
      hint: 'e.g. --keep-last 7 --keep-weekly 4 (add --dry-run to see what would go)',
    });
  const cat = await readCatalog(destination, opts.container);
  const decisions = applyRetention(
    cat.complete.map((m) => ({ id: m.id, container: m.container.name, startedAt: m.startedAt })),
    policy,
  );
  const seenAt = Date.now();
  const active = new Set([...(opts.keepIds ?? []), ...(await runningLabelValues(ctx.engine, { [LABEL.role]: 'backup' }, BACKUP_ID_LABEL))]);
  const local = { activeIds: active, bootId: bootId(), seenAt };
  // Another writer's backup in progress (live lease) is never a leftover, nor a folder without
  // dockside's marker (see isDeadLeftover).
  const leftovers: string[] = [];
  for (const id of cat.incomplete) {
    if (active.has(id) || (opts.container && !id.startsWith(`${opts.container}-`))) continue;
    if (await isDeadLeftover(destination, id, local)) leftovers.push(id);
  }
  const removed: string[] = [];
  if (!opts.dryRun) {
    for (const d of decisions) {
      if (d.keep) continue;
      await destination.removeBackup(d.id);
      removed.push(d.id);
    }
    for (const id of leftovers) await destination.removeBackup(id);
  }
  return { decisions, removed, leftovers, dryRun: Boolean(opts.dryRun) };
}

export async function pruneBackups(ctx: ServiceContext, opts: DestinationOptions & RetentionPolicy & { container?: string; dryRun?: boolean }): Promise<PruneResult> {
  const dest = await resolveDestination(opts, ctx.env, 'read');
  return pruneDestination(ctx, await dest.open(), opts, opts);
}

export { MANIFEST_FILE };
