/**
 * http(s)://...: each batch is one POST of NDJSON (the file sink's objects), gzip-compressed.
 * `X-Dockside-Batch` carries an id made from the batch's first and last positions, the same when a
 * batch is sent again after a kill, so a receiver can drop the repeat (idempotent delivery).
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { ShipRecord } from '../../record.js';
import { NdjsonEncoder, type Sink } from '../sink.js';
import { post } from './post.js';

const gz = promisify(gzip);

export function batchId(records: ShipRecord[]): string {
  const first = records[0];
  const last = records[records.length - 1];
  const key = (r: ShipRecord | undefined) => (r ? `${r.container_id}/${r.stream}/${r.time}` : '');
  return createHash('sha256')
    .update(`${key(first)}|${key(last)}|${records.length}`)
    .digest('hex')
    .slice(0, 32);
}

export class HttpSink implements Sink {
  readonly kind = 'http';
  private readonly encoder = new NdjsonEncoder();
  constructor(private readonly url: string) {}

  async open(): Promise<void> {}

  async send(records: ShipRecord[]): Promise<unknown> {
    const body = await gz(Buffer.from(this.encoder.lines(records)));
    await post(this.url, body, { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip', 'x-dockside-batch': batchId(records) });
    return undefined;
  }

  async close(): Promise<void> {}
}
