/**
 * S3 credentials and settings, read on the host: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
 * (/AWS_SESSION_TOKEN), their *_FILE variants (Docker secrets), or a profile (AWS_PROFILE,
 * ~/.aws/credentials and ~/.aws/config, through the AWS SDK's ini provider). They reach the sidecar
 * only as a 0400 file copied in before start: never env, argv, labels, logs or the manifest.
 */
import { readFile } from 'node:fs/promises';
import { UsageError, UserError } from '@dockside/common';
import type { S3Credentials } from './config.js';

async function fromFileVar(env: NodeJS.ProcessEnv, name: string): Promise<string | undefined> {
  const file = env[`${name}_FILE`];
  if (!file) return env[name] || undefined;
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (err) {
    throw new UserError(`cannot read ${name}_FILE ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
      exitCode: 2,
      hint: `point ${name}_FILE at a readable file, or set ${name} instead`,
    });
  }
}

export async function resolveS3Credentials(env: NodeJS.ProcessEnv, profile?: string): Promise<S3Credentials> {
  const id = await fromFileVar(env, 'AWS_ACCESS_KEY_ID');
  const secret = await fromFileVar(env, 'AWS_SECRET_ACCESS_KEY');
  const token = await fromFileVar(env, 'AWS_SESSION_TOKEN');
  if (id && secret && !profile) return { accessKeyId: id, secretAccessKey: secret, ...(token ? { sessionToken: token } : {}) };
  if (id && !secret) throw new UsageError('AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not', { hint: 'set both (or their *_FILE variants), or use a profile' });
  const name = profile ?? env['AWS_PROFILE'];
  if (name || (!id && !secret)) {
    try {
      const { fromIni } = await import('@aws-sdk/credential-provider-ini');
      const c = await fromIni({ ...(name ? { profile: name } : {}) })();
      return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}) };
    } catch (err) {
      if (name)
        throw new UserError(`cannot load AWS profile "${name}": ${(err as Error).message.split('\n')[0]}`, {
          exitCode: 2,
          hint: 'check ~/.aws/credentials and ~/.aws/config, or pass another --s3-profile',
        });
    }
  }
  throw new UsageError('no S3 credentials found', {
    hint: 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_ACCESS_KEY_ID_FILE/AWS_SECRET_ACCESS_KEY_FILE), or AWS_PROFILE',
  });
}

export function resolveRegion(env: NodeJS.ProcessEnv, flag?: string): string {
  return flag || env['AWS_REGION'] || env['AWS_DEFAULT_REGION'] || 'us-east-1';
}
