/**
 * Where jobs come from, kept current without a restart: labels of all containers (a stopped one's
 * jobs stay listed, their slots recorded skipped), listed on
 * start, after every container event (start, die, destroy, rename; debounced), after the event
 * stream reconnects (events are not replayed), and every minute as a safety net; plus the jobs of
 * the YAML file given at `cron start`, whose containers are named (resolved when each run starts,
 * so a job whose container is gone fails cleanly and works again once it is back).
 */
import { LABEL, followEvents, listAllContainers, type Engine } from '@dockside/engine';
import { collectJobs } from '../jobs/collect.js';
import type { ConfigJob } from '../jobs/from-config.js';
import { type JobEntry } from '../jobs/model.js';

export interface SourceOptions {
  engine: Engine;
  config: { file: string; jobs: ConfigJob[] } | undefined;
  /** This scheduler's name: label jobs of other schedulers are left alone. */
  scheduler: string;
  onJobs: (entries: JobEntry[]) => void;
  log: (msg: string) => void;
  reconcileMs?: number;
}

export function watchJobs(opts: SourceOptions): { reconcile(): Promise<void>; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let debounce: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  const reconcileOnce = async () => {
    try {
      const list = await listAllContainers(opts.engine);
      // Our own sidecars (and the scheduler) declare no jobs.
      const entries = collectJobs(list, opts.config, { ownLabel: LABEL.role, scheduler: opts.scheduler });
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
    filters: { type: ['container'], event: ['start', 'die', 'destroy', 'rename', 'pause', 'unpause'] },
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
