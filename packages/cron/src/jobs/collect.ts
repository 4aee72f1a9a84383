/**
 * Every job the engine's containers and the YAML file declare, in one list, for the scheduler and
 * for `cron validate` alike: label jobs of every container (stopped ones too: they stay listed and
 * their slots are recorded `skipped`), YAML jobs bound to their container by name, each with the
 * state its container is in. One id declared both by labels and in the file is refused on both
 * sides, naming both sources: neither silently wins.
 */
import type { ConfigJob } from './from-config.js';
import { jobsFromLabels } from './from-labels.js';
import { LABEL_PREFIX, type InvalidJob, type JobEntry } from './model.js';
import { compileJob } from './validate.js';

export interface KnownContainer {
  id: string;
  name: string;
  /** The engine's state: running, exited, paused, created, restarting, dead. */
  state: string;
  labels: Record<string, string>;
}

export interface CollectOptions {
  /** `validate`: a YAML job whose container does not exist is invalid (the scheduler waits for it). */
  requireContainers?: boolean;
  /** Labels of containers carrying this one are dockside's own (sidecars, the scheduler): no jobs. */
  ownLabel: string;
  /** Label jobs of this scheduler only (`cron start --name`; default "default"). */
  scheduler?: string;
}

export const MISSING = 'missing';

export function collectJobs(containers: KnownContainer[], config: { file: string; jobs: ConfigJob[] } | undefined, opts: CollectOptions): JobEntry[] {
  const entries: JobEntry[] = [];
  for (const c of containers) {
    if (c.labels[opts.ownLabel]) continue;
    if (!Object.keys(c.labels).some((k) => k.startsWith(LABEL_PREFIX))) continue;
    for (const e of jobsFromLabels({ id: c.id, name: c.name, labels: c.labels }, opts.scheduler)) entries.push({ ...e, container: { ...e.container, state: c.state } });
  }
  const byName = new Map(containers.map((c) => [c.name, c]));
  for (const j of config?.jobs ?? []) {
    const c = byName.get(j.container);
    const container = c ? { id: c.id, name: c.name, state: c.state } : { id: j.container, name: j.container, state: MISSING };
    const e = compileJob({ name: j.name, container, origin: { kind: 'config', file: config?.file as string }, options: j.options });
    if (!c && opts.requireContainers && e.valid) entries.push({ ...invalid(e, 'container', `no container named "${j.container}" on this engine`) });
    else entries.push({ ...e, container });
  }
  return refuseClashes(entries);
}

function invalid(e: JobEntry, field: string, reason: string): InvalidJob {
  return { valid: false, id: e.id, name: e.name, container: e.container, origin: e.origin, field, reason };
}

/** An id declared by labels and in the file: both entries invalid, each naming the other source. */
function refuseClashes(entries: JobEntry[]): JobEntry[] {
  const byId = new Map<string, JobEntry[]>();
  for (const e of entries) byId.set(e.id, [...(byId.get(e.id) ?? []), e]);
  return entries.map((e) => {
    const same = byId.get(e.id) ?? [];
    const label = same.find((x) => x.origin.kind === 'label');
    const file = same.find((x) => x.origin.kind === 'config');
    if (!label || !file) return e;
    return invalid(e, 'id', `declared twice: by labels on container ${label.container.name} and in ${file.origin.file ?? 'the config file'}; remove or rename one`);
  });
}
