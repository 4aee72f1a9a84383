/**
 * The Swarm calls `dockside fleet` makes on a manager: services (create, update, inspect, remove),
 * nodes, tasks and a service's logs. dockerode's shapes are kept internal: callers get small plain
 * records. Failures are mapped where they happen (a worker or a non-Swarm engine answers 503).
 */
import type Dockerode from 'dockerode';
import { UserError } from '@dockside/common';
import { dockerOf } from '../connection/client.js';
import type { Engine } from '../connection/engine.js';
import { mapEngineError, statusOf } from '../connection/errors.js';

export interface SwarmNode {
  id: string;
  hostname: string;
  state: string;
  availability: string;
  role: string;
  manager: boolean;
}

export interface SwarmTask {
  id: string;
  serviceId: string;
  nodeId: string;
  slot?: number;
  desired: string;
  state: string;
  containerId?: string;
  error?: string;
}

export interface SwarmService {
  id: string;
  name: string;
  version: number;
  labels: Record<string, string>;
  spec: Record<string, unknown>;
}

async function call<T>(engine: Engine, doing: string, fn: (d: Dockerode) => Promise<T>): Promise<T> {
  const d = await dockerOf(engine);
  try {
    return await fn(d);
  } catch (err) {
    if (statusOf(err) === 503) {
      throw new UserError(`${doing}: the engine at ${engine.endpoint.display ?? 'DOCKER_HOST'} is not a Swarm manager`, {
        hint: 'point DOCKER_HOST at a manager node (`docker swarm init` makes one; scripts/fleet.sh up 3 makes a test Swarm)',
        code: 'ENOTMANAGER',
      });
    }
    throw mapEngineError(err, { endpoint: engine.endpoint, doing });
  }
}

export function listSwarmNodes(engine: Engine): Promise<SwarmNode[]> {
  return call(engine, 'listing Swarm nodes', async (d) =>
    (await d.listNodes()).map((n) => ({
      id: n.ID ?? '',
      hostname: n.Description?.Hostname ?? '',
      state: n.Status?.State ?? '',
      availability: n.Spec?.Availability ?? '',
      role: n.Spec?.Role ?? '',
      manager: Boolean(n.ManagerStatus),
    })),
  );
}

export function listSwarmTasks(engine: Engine, filters: { service?: string[]; node?: string[] } = {}): Promise<SwarmTask[]> {
  return call(engine, 'listing Swarm tasks', async (d) => {
    const list = (await d.listTasks({ filters: JSON.stringify(filters) })) as Array<Record<string, any>>;
    return list.map((t) => ({
      id: String(t['ID'] ?? ''),
      serviceId: String(t['ServiceID'] ?? ''),
      nodeId: String(t['NodeID'] ?? ''),
      ...(typeof t['Slot'] === 'number' ? { slot: t['Slot'] as number } : {}),
      desired: String(t['DesiredState'] ?? ''),
      state: String(t['Status']?.State ?? ''),
      ...(t['Status']?.ContainerStatus?.ContainerID ? { containerId: String(t['Status'].ContainerStatus.ContainerID) } : {}),
      ...(t['Status']?.Err ? { error: String(t['Status'].Err) } : {}),
    }));
  });
}

export function listSwarmServices(engine: Engine, labels: string[] = []): Promise<SwarmService[]> {
  return call(engine, 'listing Swarm services', async (d) => {
    const list = (await d.listServices({ filters: JSON.stringify(labels.length ? { label: labels } : {}) })) as unknown as Array<Record<string, any>>;
    return list.map((s) => ({
      id: String(s['ID']),
      name: String(s['Spec']?.Name ?? ''),
      version: Number(s['Version']?.Index ?? 0),
      labels: (s['Spec']?.Labels ?? {}) as Record<string, string>,
      spec: (s['Spec'] ?? {}) as Record<string, unknown>,
    }));
  });
}

/** Create the service, or update it in place when one with the same name exists. */
export async function putSwarmService(engine: Engine, spec: Record<string, unknown> & { Name: string }): Promise<string> {
  const existing = (await listSwarmServices(engine)).find((s) => s.name === spec.Name);
  return call(engine, `deploying the Swarm service ${spec.Name}`, async (d) => {
    if (!existing) {
      const r = (await d.createService(spec as never)) as { id?: string; ID?: string };
      return String(r.ID ?? r.id ?? '');
    }
    await d.getService(existing.id).update({ ...spec, version: existing.version } as never);
    return existing.id;
  });
}

export async function removeSwarmService(engine: Engine, name: string): Promise<boolean> {
  const existing = (await listSwarmServices(engine)).find((s) => s.name === name);
  if (!existing) return false;
  return call(engine, `removing the Swarm service ${name}`, async (d) => {
    try {
      await d.getService(existing.id).remove();
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw err;
    }
    return true;
  });
}

/** The last `tail` lines a service's tasks wrote on stderr, each with its task and node ids. */
export function swarmServiceLogs(engine: Engine, name: string, tail = 200): Promise<Array<{ task: string; node: string; line: string }>> {
  return call(engine, `reading the logs of the Swarm service ${name}`, async (d) => {
    // The manager gathers the lines from every node; one that does not answer must not hang us.
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), 5000);
    const raw = (await (
      d.getService(name).logs({ stderr: true, stdout: false, details: true, tail, follow: false, abortSignal: ctl.signal } as never) as unknown as Promise<Buffer>
    )
      .finally(() => clearTimeout(timer))
      .catch((err: Error) => {
        if (ctl.signal.aborted) return Buffer.alloc(0);
        throw err;
      })) as Buffer;
    const out: Array<{ task: string; node: string; line: string }> = [];
    // The multiplexed stream, as one buffer: 8-byte header (stream, 0, 0, 0, size) then payload.
    let text = '';
    const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw));
    for (let i = 0; i + 8 <= buf.length; ) {
      const size = buf.readUInt32BE(i + 4);
      text += buf.subarray(i + 8, i + 8 + size).toString('utf8');
      i += 8 + size;
    }
    for (const l of text.split('\n')) {
      if (!l) continue;
      // details=true: "<k=v,k=v> <line>"
      const sp = l.indexOf(' ');
      const attrs = Object.fromEntries(
        l
          .slice(0, sp)
          .split(',')
          .map((kv) => kv.split('=') as [string, string]),
      );
      out.push({ task: attrs['com.docker.swarm.task.id'] ?? '', node: attrs['com.docker.swarm.node.id'] ?? '', line: l.slice(sp + 1) });
    }
    return out;
  });
}
