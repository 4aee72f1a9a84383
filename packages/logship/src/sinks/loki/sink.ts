/**
 * loki://host:port: Loki's push API (POST /loki/api/v1/push, JSON): one stream per label set
 * (container, compose_project, compose_service, stream), values `[ "<unix ns>", "<line>" ]` in
 * time order, gzip-compressed.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { epochNanos } from '@dockside/engine/logs';
import type { ShipRecord } from '../../record.js';
import type { Sink } from '../sink.js';
import { post } from '../http/post.js';

const gz = promisify(gzip);

export interface LokiPush {
  streams: Array<{ stream: Record<string, string>; values: Array<[string, string]> }>;
}

export function lokiPush(records: ShipRecord[]): LokiPush {
  const byLabels = new Map<string, { stream: Record<string, string>; values: Array<[string, string]> }>();
  for (const r of records) {
    const labels: Record<string, string> = { container: r.container, stream: r.stream.startsWith('/') ? 'file' : r.stream };
    if (r.stream.startsWith('/')) labels['filename'] = r.stream;
    if (r.project) labels['compose_project'] = r.project;
    if (r.service) labels['compose_service'] = r.service;
    const key = JSON.stringify(labels);
    let s = byLabels.get(key);
    if (!s) byLabels.set(key, (s = { stream: labels, values: [] }));
    s.values.push([epochNanos(r.time), r.message]);
  }
  return { streams: [...byLabels.values()] };
}

export class LokiSink implements Sink {
  readonly kind = 'loki';
  constructor(private readonly url: string) {}
  async open(): Promise<void> {}
  async send(records: ShipRecord[]): Promise<unknown> {
    const body = await gz(Buffer.from(JSON.stringify(lokiPush(records))));
    await post(this.url, body, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    return undefined;
  }
  async close(): Promise<void> {}
}
