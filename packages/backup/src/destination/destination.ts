/**
 * A place backups live: a directory or an S3 prefix. Each backup is a folder `<id>/` holding its
 * archives and, once complete, `manifest.json` (written last: the commit marker). Used both on the
 * host (ls, prune) and inside the sidecar (backup, restore, verify).
 */
import type { Readable } from 'node:stream';
import type { DestinationConfig, S3Credentials } from './config.js';

export interface StoredFile {
  name: string;
  size: number;
}

export interface Destination {
  readonly description: string;
  /**
   * True when a second read of a file within one run returns the bytes the first read hashed (a
   * local file read through one open descriptor). Restore then checks sha256 once, before it
   * changes anything; on S3 it checks again while extracting.
   */
  readonly stable: boolean;
  /** Fails with a one-line UserError when the destination cannot be written. */
  checkWritable(): Promise<void>;
  /** Fails with a one-line UserError when the destination cannot be read. */
  checkReadable(): Promise<void>;
  /** Every backup folder, complete or not. */
  listIds(): Promise<string[]>;
  /** A small file, or undefined when absent. */
  read(id: string, name: string): Promise<Buffer | undefined>;
  /** A small file, written atomically. */
  write(id: string, name: string, data: Buffer): Promise<void>;
  /**
   * Start backup `id`: its folder is created exclusively (a directory: mkdir, which fails when it
   * exists; S3 has no folders), so two runs never share one. Fails when it exists.
   */
  create(id: string): Promise<void>;
  /**
   * A small file written only if none is there (a directory: link(2) of a finished temporary
   * file, atomic; S3: a conditional put, `If-None-Match: *`, see s3.ts). False when one exists.
   */
  writeExclusive(id: string, name: string, data: Buffer): Promise<boolean>;
  /** A large file from a stream; nothing is visible under `name` unless it completes. */
  writeStream(id: string, name: string, body: Readable): Promise<void>;
  readStream(id: string, name: string): Promise<Readable>;
  files(id: string): Promise<StoredFile[]>;
  /** Remove one file of a backup (absent is fine). */
  removeFile(id: string, name: string): Promise<void>;
  /** Remove a backup folder and everything in it, including unfinished uploads. */
  removeBackup(id: string): Promise<void>;
}

export async function openDestination(config: DestinationConfig, credentials?: S3Credentials): Promise<Destination> {
  if (config.kind === 'dir') {
    const { DirDestination } = await import('./dir.js');
    return new DirDestination(config.root);
  }
  const { S3Destination } = await import('./s3.js');
  return new S3Destination(config, credentials);
}
