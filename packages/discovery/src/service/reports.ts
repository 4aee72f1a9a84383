/** What a discovery sidecar last reported through the sidecar protocol (its log tail), read by the CLI. */
import { EventReader, containerLogTail, type Engine } from '@dockside/engine';

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
