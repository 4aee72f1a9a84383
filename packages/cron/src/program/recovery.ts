/**
 * Start-up after a crash, `docker kill` or restart: every run the journal shows open was running
 * when the scheduler died. Its process is ended (the exec's process group in the target, the
 * one-off container, the backup sidecar it started) and the run is recorded `interrupted`.
 * One-off containers of this scheduler's earlier runs still around are removed too (other
 * schedulers' are theirs).
 */
import { LABEL, endExecJob, forceRemove, listDocksideContainers, type Engine } from '@dockside/engine';
import { RUN_ROLE, SCHEDULER_LABEL } from '../actions/labels.js';
import type { Journal } from '../state/journal.js';
import type { Folded } from '../state/records.js';

export async function recoverInterrupted(
  engine: Engine,
  journal: Pick<Journal, 'append'>,
  state: Folded,
  now: number,
  log: (m: string) => void,
  scheduler: string,
): Promise<number> {
  let n = 0;
  for (const o of state.open.values()) {
    const cleaned: string[] = [];
    try {
      if (o.container && o.execId && o.pid) {
        await endExecJob(engine, o.container, { execId: o.execId, pid: o.pid, ...(o.tag ? { tag: o.tag } : {}) }, 1000);
        cleaned.push(`ended process group ${o.pid}${o.tag ? ' and every process of the run' : ''} in ${o.container.slice(0, 12)}`);
      }
      if (o.runContainer) {
        await forceRemove(engine, o.runContainer);
        cleaned.push(`removed container ${o.runContainer.slice(0, 12)}`);
      }
      for (const c of await listDocksideContainers(engine, { [LABEL.session]: o.run })) {
        await forceRemove(engine, c.id);
        cleaned.push(`removed ${c.role} sidecar ${c.name}`);
      }
    } catch (err) {
      cleaned.push(`cleanup failed: ${(err as Error).message}`);
    }
    const error = `the scheduler stopped during this run${cleaned.length ? `; ${cleaned.join(', ')}` : ''}`;
    journal.append({ t: 'end', run: o.run, job: o.job, at: now, status: 'interrupted', exitCode: null, attempts: 1, tail: '', error });
    const e = state.history.find((h) => h.run === o.run);
    if (e) Object.assign(e, { status: 'interrupted', end: now, exitCode: null, error });
    log(`${o.job}: run ${o.run} was interrupted (${error})`);
    n++;
  }
  state.open.clear();
  for (const c of await listDocksideContainers(engine, { [LABEL.role]: RUN_ROLE, [SCHEDULER_LABEL]: scheduler }).catch(() => [])) {
    await forceRemove(engine, c.id).catch(() => undefined);
  }
  return n;
}
