/**
 * The sidecar's view of its target through the api-proxy: inspect (is it running, its address on a
 * network) and its events. A sidecar joined with `--net container:` stays in the namespace it
 * joined; when the target starts again it has a new one, so the sidecar exits and the engine's
 * restart policy starts it again, joined to the new namespace (a sidecar must not exit while the
 * target is down: the engine cannot restart it then and gives up).
 */
import { getJson, socketClientFromEnv, type SocketClient } from '@dockside/engine/logs';
import { watchContainerEvents, type ContainerEvent } from '@dockside/engine/events';
import { UsageError, UserError } from '@dockside/common';

interface InspectAnswer {
  Id: string;
  Name: string;
  State?: { Running?: boolean; Status?: string };
  NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> };
}

export interface TargetView {
  running: boolean;
  name: string;
  networks: Record<string, string>;
}

export async function inspectTarget(client: SocketClient, id: string): Promise<TargetView> {
  const a = await getJson<InspectAnswer>(client, `/containers/${id}/json`);
  return {
    running: a.State?.Running === true,
    name: a.Name.replace(/^\//, ''),
    networks: Object.fromEntries(Object.entries(a.NetworkSettings?.Networks ?? {}).map(([n, v]) => [n, v.IPAddress ?? ''])),
  };
}

/** The address to publish: the one on `network`, else on the target's only network. */
export function addressOn(view: TargetView, network: string | undefined): string {
  const names = Object.keys(view.networks).filter((n) => view.networks[n]);
  if (network) {
    const ip = view.networks[network];
    if (!ip)
      throw new UsageError(`container "${view.name}" has no address on network "${network}" (its networks: ${names.join(', ') || 'none'})`, {
        hint: 'give one of its networks with --network',
      });
    return ip;
  }
  if (names.length === 1) return view.networks[names[0] as string] as string;
  if (names.length === 0)
    throw new UsageError(`container "${view.name}" has no network address to publish (network mode none or host?)`, {
      hint: 'register a container on a bridge or user-defined network',
    });
  throw new UsageError(`container "${view.name}" is on several networks (${names.join(', ')})`, { hint: 'choose the one whose address is published with --network' });
}

export type TargetEvent = 'stopping' | 'died' | 'started';

/** kill with a signal that ends a process (`docker stop` sends TERM first: its `kill` event comes before `die`; the `stop` event only after). */
const ENDING = new Set(['9', '15', '2', '3', 'SIGKILL', 'SIGTERM', 'SIGINT', 'SIGQUIT', 'KILL', 'TERM', 'INT', 'QUIT']);

export function classify(e: ContainerEvent): TargetEvent | undefined {
  if (e.Action === 'kill') return ENDING.has(e.Actor?.Attributes?.['signal'] ?? '') ? 'stopping' : undefined;
  if (e.Action === 'die' || e.Action === 'oom') return 'died';
  if (e.Action === 'start') return 'started';
  return undefined;
}

export function engineClient(): SocketClient {
  return socketClientFromEnv();
}

/** Follows the target's events; `connected` resolves once the stream is open (events from then on are seen). */
export function followTarget(
  client: SocketClient,
  id: string,
  on: (e: TargetEvent, raw: ContainerEvent) => void,
  onReconnect: () => void,
): { stop: () => void; connected: Promise<void> } {
  let opened: () => void = () => undefined;
  const connected = new Promise<void>((resolve) => (opened = resolve));
  const stop = watchContainerEvents(client, {
    onConnect: () => opened(),
    filters: { type: ['container'], container: [id], event: ['kill', 'die', 'oom', 'start'] },
    onEvent: (e) => {
      const t = classify(e);
      if (t) on(t, e);
    },
    onReconnect,
  });
  return { stop, connected };
}

export function engineUnreachable(err: unknown): UserError {
  return new UserError(`the engine (through the api-proxy) does not answer: ${(err as Error).message}`, { code: 'EENGINE' });
}

/** End the sidecar process now that its report is out (timers and sockets may still be open). */
export function exitNow(code: number): Promise<never> {
  return new Promise(() => process.stderr.write('', () => process.exit(code)));
}
