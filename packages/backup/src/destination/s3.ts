/**
 * Backups in S3 (or any S3-protocol server): `<prefix>/<id>/<file>`. Large files go up as multipart
 * uploads (@aws-sdk/lib-storage) from a stream, a few parts in flight, so memory stays bounded. The
 * id of each multipart upload is recorded in `<id>/in-progress.json` before any part is sent, so a
 * later run can abort an upload that was cut off even on servers without ListMultipartUploads.
 */
import type { Readable } from 'node:stream';
import { BugError, UserError } from '@dockside/common';
import { CorruptArchiveError } from '../errors.js';
import type { S3Client as S3ClientType } from '@aws-sdk/client-s3';
import { IN_PROGRESS_FILE } from '../model.js';
import type { DestinationConfig, S3Credentials } from './config.js';
import { isBackupId } from '../naming.js';
import type { Destination, StoredFile } from './destination.js';

type S3Config = Extract<DestinationConfig, { kind: 's3' }>;
type SdkModule = typeof import('@aws-sdk/client-s3');

interface InProgress {
  id: string;
  startedAt: string;
  uploads: Array<{ key: string; uploadId: string }>;
}

/** S3 failures as one-line user errors. */
export function s3Error(err: unknown, cfg: S3Config, doing: string): Error {
  if (err instanceof UserError) return err;
  const e = err as { name?: string; Code?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number }; cause?: { code?: string } };
  const name = e.name ?? e.Code ?? '';
  const code = e.code ?? e.cause?.code ?? '';
  const where = `s3://${cfg.bucket}${cfg.prefix ? `/${cfg.prefix}` : ''}${cfg.endpoint ? ` at ${cfg.endpoint}` : ''}`;
  const status = e.$metadata?.httpStatusCode;
  if (/InvalidAccessKeyId|SignatureDoesNotMatch|InvalidToken|ExpiredToken|AuthorizationHeaderMalformed|InvalidClientTokenId/.test(name)) {
    return new UserError(`S3 rejected the credentials while ${doing} ${where} (${name})`, {
      hint: 'check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or *_FILE, AWS_PROFILE)',
      code: 'ES3AUTH',
      cause: err,
    });
  }
  if (name === 'AccessDenied' || status === 403) {
    return new UserError(`S3 denied access while ${doing} ${where}`, { hint: 'the credentials lack permission on this bucket/prefix', code: 'ES3DENIED', cause: err });
  }
  if (name === 'NoSuchBucket') {
    return new UserError(`S3 bucket "${cfg.bucket}" does not exist${cfg.endpoint ? ` at ${cfg.endpoint}` : ''}`, {
      hint: 'create it first, or check the bucket name and --s3-endpoint/--s3-region',
      code: 'ES3NOBUCKET',
      cause: err,
    });
  }
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH/.test(`${code} ${name} ${e.message ?? ''}`)) {
    return new UserError(`cannot reach S3 ${cfg.endpoint ?? `in ${cfg.region}`} while ${doing} ${where}: ${code || name}`, {
      hint: "check --s3-endpoint and --network (the sidecar runs on the engine's bridge unless --network host)",
      code: 'ES3NET',
      cause: err,
    });
  }
  return new UserError(`S3 error while ${doing} ${where}: ${name || 'error'}${e.message ? `: ${e.message.split('\n')[0]}` : ''}`, {
    code: 'ES3',
    hint: 'check the bucket, --s3-endpoint/--s3-region and the credentials',
    cause: err,
  });
}

export class S3Destination implements Destination {
  readonly description: string;
  readonly stable = false;
  private sdk: SdkModule | undefined;
  private client: S3ClientType | undefined;
  private progress = new Map<string, InProgress>();

  constructor(
    private readonly cfg: S3Config,
    private readonly credentials?: S3Credentials,
  ) {
    this.description = `s3://${cfg.bucket}${cfg.prefix ? `/${cfg.prefix}` : ''}`;
  }

  private async s3(): Promise<{ sdk: SdkModule; client: S3ClientType }> {
    if (!this.sdk || !this.client) {
      // The SDK warns on every run under Node 20 (still supported by dockside); one line of noise
      // in a CLI's stderr that users cannot act on.
      process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
      this.sdk = await import('@aws-sdk/client-s3');
      this.client = new this.sdk.S3Client({
        region: this.cfg.region,
        ...(this.cfg.endpoint ? { endpoint: this.cfg.endpoint } : {}),
        forcePathStyle: this.cfg.pathStyle,
        ...(this.credentials ? { credentials: this.credentials } : {}),
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        maxAttempts: 3,
      });
    }
    return { sdk: this.sdk, client: this.client };
  }

  private key(id: string, name?: string): string {
    const base = this.cfg.prefix ? `${this.cfg.prefix}/` : '';
    return name === undefined ? `${base}${id}/` : `${base}${id}/${name}`;
  }

  async checkWritable(): Promise<void> {
    await this.checkReadable();
  }

  async checkReadable(): Promise<void> {
    const { sdk, client } = await this.s3();
    try {
      await client.send(new sdk.HeadBucketCommand({ Bucket: this.cfg.bucket }));
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404) throw s3Error({ name: 'NoSuchBucket' }, this.cfg, 'opening');
      // HEAD responses carry no error body: ask again with a request that does.
      if (e.$metadata?.httpStatusCode === 403 || e.$metadata?.httpStatusCode === 400) {
        try {
          await client.send(new sdk.ListObjectsV2Command({ Bucket: this.cfg.bucket, MaxKeys: 1 }));
        } catch (err2) {
          throw s3Error(err2, this.cfg, 'opening');
        }
        return;
      }
      throw s3Error(err, this.cfg, 'opening');
    }
  }

  async listIds(): Promise<string[]> {
    const { sdk, client } = await this.s3();
    const base = this.cfg.prefix ? `${this.cfg.prefix}/` : '';
    const ids: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < 10_000; page++) {
      let res;
      try {
        res = await client.send(new sdk.ListObjectsV2Command({ Bucket: this.cfg.bucket, Prefix: base, Delimiter: '/', ContinuationToken: token }));
      } catch (err) {
        throw s3Error(err, this.cfg, 'listing');
      }
      for (const p of res.CommonPrefixes ?? []) {
        const id = (p.Prefix ?? '').slice(base.length).replace(/\/$/, '');
        if (isBackupId(id)) ids.push(id);
      }
      if (!res.IsTruncated) break;
      token = res.NextContinuationToken;
    }
    return ids.sort();
  }

  async read(id: string, name: string): Promise<Buffer | undefined> {
    const { sdk, client } = await this.s3();
    try {
      const res = await client.send(new sdk.GetObjectCommand({ Bucket: this.cfg.bucket, Key: this.key(id, name) }));
      return Buffer.from(await (res.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
    } catch (err) {
      if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
      throw s3Error(err, this.cfg, `reading ${id}/${name} from`);
    }
  }

  async write(id: string, name: string, data: Buffer): Promise<void> {
    const { sdk, client } = await this.s3();
    try {
      await client.send(new sdk.PutObjectCommand({ Bucket: this.cfg.bucket, Key: this.key(id, name), Body: data, ContentLength: data.length }));
    } catch (err) {
      throw s3Error(err, this.cfg, `writing ${id}/${name} to`);
    }
  }

  async create(): Promise<void> {
    // S3 has no folders: the backup's exclusive lease (writeExclusive) is what starts it.
  }

  /**
   * A conditional put (`If-None-Match: *`): S3 (since 2024) and most compatible servers refuse it
   * with 412 when the key exists. Servers that ignore the header (s3rver does) get a best effort:
   * a look before the put, and the caller's look after it (lease.ts) sees a rival that overwrote.
   */
  async writeExclusive(id: string, name: string, data: Buffer): Promise<boolean> {
    if (await this.read(id, name)) return false;
    const { sdk, client } = await this.s3();
    try {
      await client.send(new sdk.PutObjectCommand({ Bucket: this.cfg.bucket, Key: this.key(id, name), Body: data, ContentLength: data.length, IfNoneMatch: '*' }));
      return true;
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === 'PreconditionFailed' || e.$metadata?.httpStatusCode === 412 || e.$metadata?.httpStatusCode === 409) return false;
      throw s3Error(err, this.cfg, `writing ${id}/${name} to`);
    }
  }

  private async recordUpload(id: string, key: string, uploadId: string): Promise<void> {
    let rec = this.progress.get(id);
    if (!rec) {
      // Keep what the marker already says (its run's token): only the uploads are added.
      const prior = await this.read(id, IN_PROGRESS_FILE).catch(() => undefined);
      try {
        rec = prior ? (JSON.parse(prior.toString()) as InProgress) : undefined;
      } catch {
        rec = undefined;
      }
      rec ??= { id, startedAt: new Date().toISOString(), uploads: [] };
      rec.uploads ??= [];
    }
    rec.uploads.push({ key, uploadId });
    this.progress.set(id, rec);
    await this.write(id, IN_PROGRESS_FILE, Buffer.from(JSON.stringify(rec)));
  }

  async writeStream(id: string, name: string, body: Readable): Promise<void> {
    const { client } = await this.s3();
    const { Upload } = await import('@aws-sdk/lib-storage');
    const key = this.key(id, name);
    // Record the upload id before any part is sent (commit marker for cleanup).
    const mw = (next: (a: unknown) => Promise<{ output: { UploadId?: string } }>, ctx: { commandName?: string }) => async (args: unknown) => {
      const r = await next(args);
      if (ctx.commandName === 'CreateMultipartUploadCommand' && r.output.UploadId) await this.recordUpload(id, key, r.output.UploadId);
      return r;
    };
    const stack = client.middlewareStack as unknown as { add(m: unknown, o: unknown): void; remove(n: string): boolean };
    const mwName = `dockside-record-upload-${name}`;
    stack.add(mw, { step: 'initialize', name: mwName });
    const upload = new Upload({
      client,
      params: { Bucket: this.cfg.bucket, Key: key, Body: body },
      queueSize: 4,
      partSize: 8 * 1024 * 1024,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (err) {
      throw s3Error(err, this.cfg, `uploading ${id}/${name} to`);
    } finally {
      stack.remove(mwName);
    }
  }

  async readStream(id: string, name: string): Promise<Readable> {
    const { sdk, client } = await this.s3();
    try {
      const res = await client.send(new sdk.GetObjectCommand({ Bucket: this.cfg.bucket, Key: this.key(id, name) }));
      return res.Body as Readable;
    } catch (err) {
      if ((err as { name?: string }).name === 'NoSuchKey') throw new CorruptArchiveError(`archive ${id}/${name} is missing from ${this.description}`);
      throw s3Error(err, this.cfg, `reading ${id}/${name} from`);
    }
  }

  async files(id: string): Promise<StoredFile[]> {
    const { sdk, client } = await this.s3();
    const prefix = this.key(id);
    const out: StoredFile[] = [];
    let token: string | undefined;
    for (let page = 0; page < 1000; page++) {
      let res;
      try {
        res = await client.send(new sdk.ListObjectsV2Command({ Bucket: this.cfg.bucket, Prefix: prefix, ContinuationToken: token }));
      } catch (err) {
        throw s3Error(err, this.cfg, 'listing');
      }
      for (const o of res.Contents ?? []) out.push({ name: (o.Key ?? '').slice(prefix.length), size: o.Size ?? 0 });
      if (!res.IsTruncated) break;
      token = res.NextContinuationToken;
    }
    return out;
  }

  async removeFile(id: string, name: string): Promise<void> {
    const { sdk, client } = await this.s3();
    try {
      await client.send(new sdk.DeleteObjectCommand({ Bucket: this.cfg.bucket, Key: this.key(id, name) }));
    } catch (err) {
      throw s3Error(err, this.cfg, `deleting ${id}/${name} from`);
    }
  }

  async removeBackup(id: string): Promise<void> {
    if (!isBackupId(id)) throw new BugError(`refusing to remove "${id}": not a backup id`);
    const { sdk, client } = await this.s3();
    const uploads: Array<{ key: string; uploadId: string }> = [];
    const rec = await this.read(id, IN_PROGRESS_FILE).catch(() => undefined);
    if (rec) {
      try {
        uploads.push(...(JSON.parse(rec.toString()) as InProgress).uploads);
      } catch {
        /* a torn marker: fall back to listing */
      }
    }
    try {
      const res = await client.send(new sdk.ListMultipartUploadsCommand({ Bucket: this.cfg.bucket, Prefix: this.key(id) }));
      for (const u of res.Uploads ?? []) if (u.Key && u.UploadId) uploads.push({ key: u.Key, uploadId: u.UploadId });
    } catch {
      /* not every S3 server lists multipart uploads; the marker covers ours */
    }
    const seen = new Set<string>();
    for (const u of uploads) {
      if (seen.has(u.uploadId)) continue;
      seen.add(u.uploadId);
      await client.send(new sdk.AbortMultipartUploadCommand({ Bucket: this.cfg.bucket, Key: u.key, UploadId: u.uploadId })).catch((err: { name?: string }) => {
        if (err.name !== 'NoSuchUpload') throw s3Error(err, this.cfg, `aborting an unfinished upload of ${id} in`);
      });
    }
    for (const f of await this.files(id)) {
      try {
        await client.send(new sdk.DeleteObjectCommand({ Bucket: this.cfg.bucket, Key: this.key(id, f.name) }));
      } catch (err) {
        throw s3Error(err, this.cfg, `deleting ${id}/${f.name} from`);
      }
    }
  }
}
