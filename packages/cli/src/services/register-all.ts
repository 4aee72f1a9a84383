/**
 * `dockside register --all`: every running container that declares a registration by labels
 * (discovery's registrationFromLabels) gets its register sidecar. One container's bad labels or
 * failed start is reported and the others go on; the exit code is 1 if any failed.
 */
import type { Command } from '@oclif/core';
import { listRunningContainers, type Engine } from '@dockside/engine';
import { REGISTER_LABEL_PREFIX, registrationFromLabels, startRegister, validateTimes, type LabelDefaults, type RegisterInfo } from '@dockside/discovery';
import { formatError, naturalCompare } from '@dockside/common';

export async function registerLabelled(
  cmd: Command,
  engine: Engine,
  base: { image: string; version: string; session: string },
  defaults: LabelDefaults,
  json: boolean,
): Promise<void> {
  const list = (await listRunningContainers(engine, [`${REGISTER_LABEL_PREFIX}service`])).sort((a, b) => naturalCompare(a.name, b.name));
  const done: RegisterInfo[] = [];
  const failed: Array<{ target: string; error: string }> = [];
  for (const c of list) {
    try {
      const r = registrationFromLabels(c.labels, defaults);
      validateTimes(r.intervalMs, r.ttlMs);
      done.push(await startRegister(engine, { ...base, target: c.id, ...r }));
    } catch (err) {
      failed.push({
        target: c.name,
        error:
          formatError(err)
            .replace(/^dockside: /, '')
            .split('\n')[0] ?? '',
      });
    }
  }
  if (json) process.stdout.write(`${JSON.stringify({ registered: done, failed }, null, 2)}\n`);
  else {
    if (!list.length) cmd.log(`no running container carries ${REGISTER_LABEL_PREFIX}service`);
    for (const r of done)
      cmd.log(`${r.target}: "${r.service}" in ${r.registry}, ${r.registered?.state ?? 'starting'} ${r.registered ? `${r.registered.address}:${r.registered.port}` : ''}`);
    for (const f of failed) process.stderr.write(`dockside: ${f.target}: ${f.error}\n`);
  }
  if (failed.length) process.exitCode = 1;
}
