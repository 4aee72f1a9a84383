/** What a discovery sidecar last reported through the sidecar protocol (its log tail), read by the CLI. */
import { UserError } from '@dockside/common';
import { EventReader, containerLogTail, removeWithAnonymousVolumes, type Engine } from '@dockside/engine';

export async function readReports<R>(engine: Engine, id: string, lines = 80): Promise<{ ready?: R; last?: R; reader: EventReader }> {
  let ready: R | undefined;
  let last: R | undefined;
  const reader = new EventReader({
    onEvent: (e) => {
      if (e.type !== 'progress') return;
      if (e.name === 'ready') ready = last = e.data as R;
      if (e.name === 'state' || e.name === 'status') last = e.data as R;
    },
  });
  reader.write(Buffer.from(`${await containerLogTail(engine, id, lines)}\n`));
  await reader.finish();
  return { ...(ready ? { ready } : {}), ...(last ? { last } : {}), reader };
}

/** Waits for the sidecar's `ready`; on its error event or the deadline it is removed and the error thrown. */
export async function waitReady<R>(engine: Engine, id: string, role: string, timeoutMs: number): Promise<R> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await readReports<R>(engine, id);
    if (r.ready) return r.ready;
    if (r.reader.error || Date.now() > end) {
      await removeWithAnonymousVolumes(engine, id);
      if (r.reader.error) throw r.reader.failure(role, 1);
      throw new UserError(`the ${role} sidecar did not report ready within ${Math.round(timeoutMs / 1000)} s and was removed`, {
        hint: r.reader.textTail.length ? `it said: ${r.reader.textTail.slice(-2).join(' | ')}` : 'see `docker logs` of a new attempt',
      });
    }
    await new Promise((res) => setTimeout(res, 150));
  }
}
