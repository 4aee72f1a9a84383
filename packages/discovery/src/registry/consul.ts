/**
 * A Consul agent's HTTP API (https://developer.hashicorp.com/consul/api-docs/agent/service,
 * .../agent/check, .../health): the instance is a service registered with a TTL check
 * (`PUT /v1/agent/service/register`), passed every TTL/2 (`PUT /v1/agent/check/pass/service:<id>`),
 * failed when the health check fails (`.../check/fail/...`), put in maintenance when the app drains
 * (`PUT /v1/agent/service/maintenance/<id>?enable=true`), deregistered on stop. The check's
 * DeregisterCriticalServiceAfter removes a service whose sidecar died. Instances are read from
 * `GET /v1/health/service/<name>?passing=true`.
 *
 * No Consul server is packaged here: this client is tested against a recording fake of those
 * documented endpoints (consul.test.ts), not a real agent.
 */
import { httpJson, unreachable, type HttpTarget } from './http.js';
import { parseInstance, type Instance } from './instance.js';
import type { Registry, WithdrawReason } from './registry.js';

export const consulServiceId = (inst: Pick<Instance, 'service' | 'id'>) => `${inst.service}-${inst.id}`;
const seconds = (ms: number) => `${Math.max(1, Math.ceil(ms / 1000))}s`;

interface ConsulService {
  ID?: string;
  Service?: string;
  Address?: string;
  Port?: number;
  Tags?: string[];
  Meta?: Record<string, string>;
}

function fromService(s: ConsulService): Instance | undefined {
  const raw = s.Meta?.['dockside_instance'];
  if (!raw) return undefined;
  try {
    return parseInstance(JSON.parse(raw));
  } catch {
    return undefined;
  }
}

export class ConsulRegistry implements Registry {
  readonly kind = 'consul';
  private readonly t: HttpTarget;
  private registered = false;

  constructor(
    cfg: { host: string; port: number },
    private readonly timeoutMs = 3000,
  ) {
    this.t = { host: cfg.host, port: cfg.port };
  }

  private put(path: string, body?: unknown): Promise<unknown> {
    return httpJson(this.t, 'PUT', path, body, this.timeoutMs);
  }

  async open(): Promise<void> {
    try {
      await httpJson(this.t, 'GET', '/v1/agent/self', undefined, this.timeoutMs);
    } catch (err) {
      throw unreachable('consul', this.t, err);
    }
  }

  async publish(inst: Instance, ttlMs: number): Promise<void> {
    const id = consulServiceId(inst);
    if (!this.registered) {
      await this.put('/v1/agent/service/register', {
        ID: id,
        Name: inst.service,
        Address: inst.address,
        Port: inst.port,
        Tags: inst.tags,
        // Meta values are strings of at most 512 characters: the instance fits.
        Meta: { dockside_instance: JSON.stringify(inst), dockside_host: inst.host },
        Check: { CheckID: `service:${id}`, Name: 'dockside register', TTL: seconds(ttlMs), DeregisterCriticalServiceAfter: seconds(Math.max(60_000, ttlMs * 4)) },
      });
      this.registered = true;
    }
    await this.put(`/v1/agent/service/maintenance/${encodeURIComponent(id)}?enable=false`);
    await this.put(`/v1/agent/check/pass/service:${encodeURIComponent(id)}?note=${encodeURIComponent('health check passed')}`);
  }

  async keepAlive(inst: Instance, _ttlMs: number): Promise<void> {
    await this.put(`/v1/agent/check/pass/service:${encodeURIComponent(consulServiceId(inst))}`);
  }

  async withdraw(inst: Instance, reason: WithdrawReason): Promise<void> {
    const id = encodeURIComponent(consulServiceId(inst));
    if (!this.registered) return;
    if (reason === 'stopped') {
      await this.put(`/v1/agent/service/deregister/${id}`);
      this.registered = false;
    } else if (reason === 'draining' || reason === 'target-down') {
      await this.put(`/v1/agent/service/maintenance/${id}?enable=true&reason=${encodeURIComponent(`dockside: ${reason}`)}`);
    } else {
      await this.put(`/v1/agent/check/fail/service:${id}?note=${encodeURIComponent('health check failed')}`);
    }
  }

  async list(service: string): Promise<Instance[]> {
    const rows = await httpJson<Array<{ Service?: ConsulService }>>(this.t, 'GET', `/v1/health/service/${encodeURIComponent(service)}?passing=true`, undefined, this.timeoutMs);
    return (rows ?? []).map((r) => (r.Service ? fromService(r.Service) : undefined)).filter((i): i is Instance => Boolean(i));
  }

  async entries(service: string): Promise<Instance[]> {
    const all = await httpJson<Record<string, ConsulService>>(
      this.t,
      'GET',
      `/v1/agent/services?filter=${encodeURIComponent(`Service == "${service}"`)}`,
      undefined,
      this.timeoutMs,
    );
    return Object.values(all ?? {})
      .map(fromService)
      .filter((i): i is Instance => Boolean(i) && i?.service === service);
  }

  async remove(inst: Instance): Promise<void> {
    await this.put(`/v1/agent/service/deregister/${encodeURIComponent(consulServiceId(inst))}`);
  }

  async close(): Promise<void> {}
}
