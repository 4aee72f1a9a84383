/** Lists of containers: dockside's own (by label), the running ones (for metrics), label values. */
import type { Engine } from '../connection/engine.js';
import { toBrief, type ContainerBrief } from './brief.js';
import { LABEL, labelFilter } from './labels.js';
import { queryContainers } from './query.js';

export type { ContainerBrief } from './brief.js';

export interface DocksideContainer {
  id: string;
  name: string;
  role: string;
  target: string;
  targetName: string;
  session: string;
  version: string;
  image: string;
  state: string;
  status: string;
  created: Date;
}

/** Every container dockside started (by label), optionally narrowed by more labels. */
export async function listDocksideContainers(engine: Engine, more: Record<string, string> = {}): Promise<DocksideContainer[]> {
  const list = await queryContainers(engine, { all: true, labels: labelFilter(more).label }, 'listing containers');
  return list.map((c) => ({
    id: c.Id,
    name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''),
    role: c.Labels[LABEL.role] ?? '',
    target: c.Labels[LABEL.target] ?? '',
    targetName: c.Labels[LABEL.targetName] ?? '',
    session: c.Labels[LABEL.session] ?? '',
    version: c.Labels[LABEL.version] ?? '',
    image: c.Image,
    state: c.State,
    status: c.Status,
    created: new Date(c.Created * 1000),
  }));
}

/** Running (and paused) containers, optionally narrowed by label filters (`key=value` or `key`). */
export async function listRunningContainers(engine: Engine, labels: string[] = []): Promise<ContainerBrief[]> {
  const list = await queryContainers(engine, { labels }, 'listing containers');
  return list.map((c) => toBrief(c as Parameters<typeof toBrief>[0]));
}

/** Every container, running or not, optionally narrowed by label filters (`key=value` or `key`). */
export async function listAllContainers(engine: Engine, labels: string[] = []): Promise<ContainerBrief[]> {
  const list = await queryContainers(engine, { all: true, labels }, 'listing containers');
  return list.map((c) => toBrief(c as Parameters<typeof toBrief>[0]));
}

/** Values of `key` on running dockside containers carrying `labels` (e.g. the ids of backups in progress). */
export async function runningLabelValues(engine: Engine, labels: Record<string, string>, key: string): Promise<string[]> {
  const list = await queryContainers(engine, { labels: labelFilter(labels).label }, 'listing running sidecars');
  return list.map((c) => c.Labels[key]).filter((v): v is string => Boolean(v));
}
