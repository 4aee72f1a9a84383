/** Parsing a backup destination (`--to`/`--from`): a host directory or s3://bucket/prefix. Pure. */
import { isAbsolute, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '@dockside/common';

export type DestinationSpec = { kind: 'dir'; path: string } | { kind: 's3'; bucket: string; prefix: string };

export function parseDestination(input: string): DestinationSpec {
  const text = input.trim();
  if (!text) throw new UsageError('the backup destination is empty', { hint: 'give a directory (/var/backups/app) or s3://bucket/prefix' });
  if (/^s3:\/\//i.test(text)) {
    const rest = text.slice(5);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const prefix = slash < 0 ? '' : rest.slice(slash + 1).replace(/^\/+|\/+$/g, '');
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      throw new UsageError(`"${bucket}" is not a valid S3 bucket name`, { hint: 'bucket names are 3-63 lower-case letters, digits, dots and hyphens: s3://my-bucket/prefix' });
    }
    if (prefix.split('/').some((p) => p === '..' || p === '.'))
      throw new UsageError(`S3 prefix "${prefix}" may not contain . or .. segments`, { hint: 'write the prefix in full, e.g. s3://my-bucket/app/prod' });
    return { kind: 's3', bucket, prefix };
  }
  let path = text;
  if (/^file:/i.test(text)) {
    // file:relative would become /relative: only file:///abs/path (or file:/abs/path) names a directory.
    if (!/^file:(\/\/\/|\/(?!\/))/i.test(text))
      throw new UsageError(`"${text}" is not an absolute file URL`, { hint: `write file:///abs/path, e.g. file://${process.cwd()}/${text.replace(/^file:(\/\/)?/i, '')}` });
    try {
      path = fileURLToPath(text);
    } catch {
      throw new UsageError(`"${text}" is not a file:// URL`, { hint: 'write file:///abs/path' });
    }
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw new UsageError(`unsupported backup destination "${text}"`, { hint: 'use a directory (/abs/path or file:///abs/path) or s3://bucket/prefix' });
  }
  if (!isAbsolute(path)) throw new UsageError(`backup directory "${text}" is not an absolute path`, { hint: `write it in full, e.g. ${process.cwd()}/${text}` });
  return { kind: 'dir', path: normalize(path).replace(/(.)\/+$/, '$1') };
}

export function describeDestination(d: DestinationSpec): string {
  return d.kind === 'dir' ? d.path : `s3://${d.bucket}${d.prefix ? `/${d.prefix}` : ''}`;
}
