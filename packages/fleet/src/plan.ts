/**
 * What the agent does on one pass over its node: pure, so every rule is unit-tested.
 *
 *   - every chore gets exactly one sidecar per running task of its services;
 *   - a sidecar whose chore is no longer listed goes at once;
 *   - a sidecar whose task container is gone, or has not run for `graceMs` (so its shipper read
 *     the last lines first), goes;
 *   - two sidecars for one chore and task (an agent killed between create and label check): the
 *     older stays.
 */
import type { Chore } from './chores.js';

export interface LocalTask {
  task: string;
  service: string;
  containerId: string;
  running: boolean;
  /** When it stopped running (ms since epoch), if it did. */
  finishedAt?: number;
}

export interface LocalSidecar {
  id: string;
  chore: string;
  task: string;
  created: number;
}

export interface Plan {
  start: Array<{ chore: Chore; task: LocalTask }>;
  remove: Array<{ sidecar: LocalSidecar; why: string }>;
}

export function planNode(chores: readonly Chore[], tasks: readonly LocalTask[], sidecars: readonly LocalSidecar[], now: number, graceMs = 5000): Plan {
  const plan: Plan = { start: [], remove: [] };
  const byTask = new Map(tasks.map((t) => [t.task, t]));
  const choreIds = new Set(chores.map((c) => c.id));
  const kept = new Set<string>();
  for (const s of [...sidecars].sort((a, b) => a.created - b.created || a.id.localeCompare(b.id))) {
    const key = `${s.chore}/${s.task}`;
    const t = byTask.get(s.task);
    if (!choreIds.has(s.chore)) plan.remove.push({ sidecar: s, why: 'its chore was removed' });
    else if (!t) plan.remove.push({ sidecar: s, why: 'its task is gone' });
    else if (!t.running && now - (t.finishedAt ?? 0) >= graceMs) plan.remove.push({ sidecar: s, why: 'its task stopped' });
    else if (kept.has(key)) plan.remove.push({ sidecar: s, why: 'a second sidecar for the same task' });
    else kept.add(key);
  }
  for (const c of chores) {
    for (const t of tasks) {
      if (!t.running || !c.services.includes(t.service)) continue;
      if (!kept.has(`${c.id}/${t.task}`)) plan.start.push({ chore: c, task: t });
    }
  }
  return plan;
}
