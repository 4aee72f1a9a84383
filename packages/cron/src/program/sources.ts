/**
 * Where jobs come from, kept current without a restart: labels of running containers, listed on
 * start, after every container event (start, die, destroy, rename; debounced), after the event
 * stream reconnects (events are not replayed), and every minute as a safety net; plus the jobs of
 * the YAML file given at `cron start`, whose containers are named (resolved when each run starts,
 * so a job whose container is gone fails cleanly and works again once it is back).
 */
import { followEvents, listRunningContainers, type Engine } from '@dockside/engine';
import { jobsFromLabels } from '../jobs/from-labels.js';
import type { ConfigJob } from '../jobs/from-config.js';
import { LABEL_PREFIX, type JobEntry } from '../jobs/model.js';
import { compileJob } from '../jobs/validate.js';

export interface SourceOptions {
  engine: Engine;
  config: { file: string; jobs: ConfigJob[] } | undefined;
  onJobs: (entries: JobEntry[]) => void;
  log: (msg: string) => void;
  reconcileMs?: number;
}

export function configEntries(config: SourceOptions['config']): JobEntry[] {
  if (!config) return [];
  return config.jobs.map((j) => compileJob({ name: j.name, container: { id: j.container, name: j.container }, origin: { kind: 'config', file: config.file }, options: j.options }));
}

export function watchJobs(opts: SourceOptions): { reconcile(): Promise<void>; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let debounce: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  const reconcileOnce = async () => {
    try {
      const list = await listRunningContainers(opts.engine);
      const entries: JobEntry[] = [];
      for (const c of list) {
        if (!Object.keys(c.labels).some((k) => k.startsWith(LABEL_PREFIX))) continue;
        if (c.labels['dockside.role']) continue; // our own sidecars (and the scheduler) declare no jobs
        entries.push(...jobsFromLabels({ id: c.id, name: c.name, labels: c.labels }));
      }
      entries.push(...configEntries(opts.config));
      if (!stopped) opts.onJobs(entries);
    } catch (err) {
      opts.log(`cannot list containers: ${(err as Error).message}`);
    }
  };
  const reconcile = async (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await reconcileOnce();
      } while (again && !stopped);
    })().finally(() => (running = undefined));
    return running;
  };

  const events = followEvents(opts.engine, {
    filters: { type: ['container'], event: ['start', 'die', 'destroy', 'rename'] },
    onEvent: () => {
      if (debounce) clearTimeout(debounce);
      debounce = setTimeout(() => void reconcile(), 200);
    },
    onConnect: () => void reconcile(),
    onDrop: (err) => opts.log(`event stream dropped${err ? ` (${err.message})` : ''}; reconnecting, then a full reconcile`),
  });
  timer = setInterval(() => void reconcile(), opts.reconcileMs ?? 60_000);
  return {
    reconcile,
    stop() {
      stopped = true;
      events.stop();
      if (timer) clearInterval(timer);
      if (debounce) clearTimeout(debounce);
      timer = undefined;
    },
  };
}
