/**
 * etcd v3 through its JSON gRPC gateway (`/v3/...` over plain HTTP, etcd 3.4 and later): keys
 * `<prefix>/<service>/<id>` holding the Instance as JSON, put under a lease of the TTL that the
 * register sidecar keeps alive; a sidecar killed without a word stops the keep-alives and etcd drops
 * the key when the lease runs out. Keys and values travel base64-encoded, int64s as strings.
 *
 * Why not the `etcd3` npm package: it brings @grpc/grpc-js and protobufjs (megabytes) into a sidecar
 * bundle that is otherwise one small file, for five unary calls that the gateway serves as JSON.
 */
import { UserError } from '@dockside/common';
import { httpJson, unreachable, type HttpTarget } from './http.js';
import { parseInstance, type Instance } from './instance.js';
import type { Registry, WithdrawReason } from './registry.js';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | undefined) => Buffer.from(s ?? '', 'base64').toString('utf8');

/** The range_end that selects every key starting with `prefix` (etcd: the prefix with its last byte + 1). */
export function prefixEnd(prefix: string): string {
  const b = Buffer.from(prefix, 'utf8');
  for (let i = b.length - 1; i >= 0; i--) {
    if ((b[i] as number) < 0xff) {
      b[i] = (b[i] as number) + 1;
      return b.subarray(0, i + 1).toString('base64');
    }
  }
  return b64('\0');
}

interface RangeAnswer {
  kvs?: Array<{ key?: string; value?: string; lease?: string }>;
}

export class EtcdRegistry implements Registry {
  readonly kind = 'etcd';
  private lease: string | undefined;
  private readonly t: HttpTarget;

  constructor(
    cfg: { host: string; port: number; prefix: string },
    private readonly timeoutMs = 3000,
  ) {
    this.t = { host: cfg.host, port: cfg.port };
    this.prefix = cfg.prefix;
  }
  private readonly prefix: string;

  key(service: string, id = ''): string {
    return `${this.prefix}/${service}/${id}`;
  }

  private call<T>(path: string, body: unknown): Promise<T> {
    return httpJson<T>(this.t, 'POST', path, body, this.timeoutMs);
  }

  async open(): Promise<void> {
    try {
      await this.call('/v3/kv/range', { key: b64(this.prefix), limit: 1 });
    } catch (err) {
      throw unreachable('etcd', this.t, err);
    }
  }

  async publish(inst: Instance, ttlMs: number): Promise<void> {
    if (!this.lease) {
      const g = await this.call<{ ID?: string }>('/v3/lease/grant', { TTL: Math.max(2, Math.ceil(ttlMs / 1000)) });
      if (!g?.ID) throw new UserError('etcd granted no lease', { code: 'EREGISTRY' });
      this.lease = g.ID;
    }
    await this.call('/v3/kv/put', { key: b64(this.key(inst.service, inst.id)), value: b64(JSON.stringify(inst)), lease: this.lease });
  }

  async keepAlive(inst: Instance, ttlMs: number): Promise<void> {
    if (!this.lease) return this.publish(inst, ttlMs);
    const a = await this.call<{ result?: { TTL?: string } }>('/v3/lease/keepalive', { ID: this.lease });
    // A lease that ran out (the registry was away longer than the TTL) comes back without a TTL: start over.
    if (!a?.result?.TTL || Number(a.result.TTL) <= 0) {
      this.lease = undefined;
      await this.publish(inst, ttlMs);
    }
  }

  async withdraw(inst: Instance, _reason: WithdrawReason): Promise<void> {
    await this.call('/v3/kv/deleterange', { key: b64(this.key(inst.service, inst.id)) });
    const lease = this.lease;
    this.lease = undefined;
    if (lease) await this.call('/v3/lease/revoke', { ID: lease }).catch(() => undefined);
  }

  async entries(service: string): Promise<Instance[]> {
    const key = this.key(service);
    const a = await this.call<RangeAnswer>('/v3/kv/range', { key: b64(key), range_end: prefixEnd(key) });
    const out: Instance[] = [];
    for (const kv of a?.kvs ?? []) {
      try {
        const i = parseInstance(JSON.parse(unb64(kv.value)));
        if (i) out.push(i);
      } catch {
        /* a value that is not ours */
      }
    }
    return out;
  }

  /** A key exists only while its instance is healthy: every entry is a healthy instance. */
  list(service: string): Promise<Instance[]> {
    return this.entries(service);
  }

  async remove(inst: Instance): Promise<void> {
    await this.call('/v3/kv/deleterange', { key: b64(this.key(inst.service, inst.id)) });
  }

  async close(): Promise<void> {}
}
