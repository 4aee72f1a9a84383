/**
 * `serve`: the long-running scheduler. Opens the journal on its volume, ends and records the runs
 * a previous instance left open, follows the jobs (labels and config), ticks twice a second, and
 * serves /healthz, /metrics and manual runs on 127.0.0.1. SIGTERM (docker stop) ends the runs in
 * progress, recorded `interrupted`; SIGKILL leaves them for the next start to clean up.
 */
import { readFileSync } from 'node:fs';
import { connectEngine } from '@dockside/engine';
import { EventWriter } from '@dockside/sidecar-kit';
import type { SchedulerProgress } from '../events.js';
import { runAction, type ActionContext } from '../actions/index.js';
import type { ConfigJob } from '../jobs/from-config.js';
import { Journal } from '../state/journal.js';
import { writeJobs } from '../state/snapshot.js';
import { ping } from './ping.js';
import { recoverInterrupted } from './recovery.js';
import { Scheduler, systemClock } from './scheduler.js';
import { startControlServer } from './server.js';
import { watchJobs } from './sources.js';

export interface ServeOptions {
  /** The scheduler's name (`cron start --name`): it runs the label jobs whose .scheduler names it. */
  name: string;
  stateDir: string;
  configFile?: string;
  backupDirs: string[];
  backupImage: string;
  version: string;
  port: number;
  tickMs: number;
  log: (m: string) => void;
}

export async function serve(opts: ServeOptions): Promise<void> {
  const engine = await connectEngine();
  const { journal, state } = Journal.open(opts.stateDir);
  const clock = systemClock;
  const interrupted = await recoverInterrupted(engine, journal, state, clock.now(), opts.log, opts.name);
  if (interrupted) opts.log(`recorded ${interrupted} interrupted run(s) from before the restart`);
  const config = opts.configFile ? (JSON.parse(readFileSync(opts.configFile, 'utf8')) as { file: string; jobs: ConfigJob[] }) : undefined;
  const ctx: ActionContext = { engine, scheduler: opts.name, version: opts.version, backupImage: opts.backupImage, backupDirs: opts.backupDirs };
  const scheduler = new Scheduler({
    clock,
    journal,
    state,
    runAction: (run) => runAction(ctx, run),
    log: opts.log,
    onStart: (job) => void (job.ping && ping(job.ping, 'start', opts.log)),
    onEnd: (job, result) => {
      opts.log(`${job.id}: ${result.status}${result.exitCode !== null ? ` (exit ${result.exitCode})` : ''}${result.error ? `: ${result.error}` : ''}`);
      if (job.ping) void ping(job.ping, { exitCode: result.status === 'succeeded' ? 0 : result.exitCode && result.exitCode !== 0 ? result.exitCode : null }, opts.log);
    },
  });
  let lastIds = '';
  const sources = watchJobs({
    engine,
    config,
    scheduler: opts.name,
    log: opts.log,
    onJobs: (entries) => {
      scheduler.setJobs(entries);
      const ids = JSON.stringify(entries.map((e) => [e.id, e.valid, e.valid ? e.schedule : e.reason, e.container.id]));
      writeJobs(opts.stateDir, entries, clock.now());
      if (ids !== lastIds) {
        lastIds = ids;
        for (const e of entries) if (!e.valid) opts.log(`${e.id}: invalid: ${e.field}: ${e.reason}`);
        opts.log(`${entries.filter((e) => e.valid).length} job(s), ${entries.filter((e) => !e.valid).length} invalid`);
      }
    },
  });
  await sources.reconcile();
  scheduler.tick();
  const server = await startControlServer(scheduler, opts.port, () => clock.now());
  let ticks = 0;
  const timer = setInterval(() => {
    scheduler.tick();
    if (++ticks % 600 === 0 && journal.maybeCompact()) opts.log('journal compacted');
  }, opts.tickMs);
  opts.log(`scheduler "${opts.name}" ready (state ${opts.stateDir}, control on 127.0.0.1:${opts.port})`);
  // The one readiness rule for services (engine sidecars/ready.ts): recovery has run, the control server answers.
  new EventWriter<SchedulerProgress>().progress('ready', { name: opts.name, jobs: scheduler.entries().length });
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      opts.log(`got ${sig}, ending runs in progress`);
      clearInterval(timer);
      sources.stop();
      server.close();
      void scheduler.stopAll(`the scheduler was stopped (${sig})`).then(() => {
        journal.close();
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
