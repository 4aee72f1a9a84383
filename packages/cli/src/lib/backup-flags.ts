/** Flags shared by `dockside backup ...` and `dockside restore`: the destination and S3 settings. */
import { Flags } from '@oclif/core';

export const s3Flags = {
  's3-endpoint': Flags.string({
    description: 'S3 endpoint URL for S3-compatible servers (MinIO, Ceph, s3rver), e.g. http://127.0.0.1:9000. Default: AWS.',
    env: 'DOCKSIDE_S3_ENDPOINT',
    helpGroup: 'S3',
  }),
  's3-region': Flags.string({ description: 'S3 region (default: AWS_REGION, AWS_DEFAULT_REGION, else us-east-1).', env: 'DOCKSIDE_S3_REGION', helpGroup: 'S3' }),
  's3-path-style': Flags.boolean({
    description: 'Address buckets as https://host/bucket (most self-hosted servers need this).',
    env: 'DOCKSIDE_S3_PATH_STYLE',
    default: false,
    helpGroup: 'S3',
  }),
  's3-profile': Flags.string({ description: 'AWS profile for credentials (default: AWS_PROFILE, or the AWS_* variables).', env: 'DOCKSIDE_S3_PROFILE', helpGroup: 'S3' }),
};

export const networkFlag = Flags.string({
  description:
    "Network of the sidecar when the destination is S3: the engine's default bridge unless set (use host to reach an endpoint on the host's 127.0.0.1). Directory destinations use no network.",
  env: 'DOCKSIDE_BACKUP_NETWORK',
  helpGroup: 'S3',
});

export const retentionFlags = {
  'keep-last': Flags.integer({ description: 'Keep the N newest backups of the container.', env: 'DOCKSIDE_KEEP_LAST', min: 1, max: 100_000, helpGroup: 'RETENTION' }),
  'keep-daily': Flags.integer({
    description: 'Keep the newest backup of each of the last N days that have one.',
    env: 'DOCKSIDE_KEEP_DAILY',
    min: 1,
    max: 100_000,
    helpGroup: 'RETENTION',
  }),
  'keep-weekly': Flags.integer({
    description: 'Keep the newest backup of each of the last N ISO weeks that have one.',
    env: 'DOCKSIDE_KEEP_WEEKLY',
    min: 1,
    max: 100_000,
    helpGroup: 'RETENTION',
  }),
};

export function destinationOptions(
  destination: string,
  flags: {
    's3-endpoint'?: string | undefined;
    's3-region'?: string | undefined;
    's3-path-style'?: boolean | undefined;
    's3-profile'?: string | undefined;
    network?: string | undefined;
  },
) {
  return {
    destination,
    ...(flags['s3-endpoint'] ? { s3Endpoint: flags['s3-endpoint'] } : {}),
    ...(flags['s3-region'] ? { s3Region: flags['s3-region'] } : {}),
    s3PathStyle: flags['s3-path-style'] ?? false,
    ...(flags['s3-profile'] ? { s3Profile: flags['s3-profile'] } : {}),
    ...(flags.network ? { network: flags.network } : {}),
  };
}

export function retentionOptions(flags: { 'keep-last'?: number | undefined; 'keep-daily'?: number | undefined; 'keep-weekly'?: number | undefined }) {
  return {
    ...(flags['keep-last'] ? { keepLast: flags['keep-last'] } : {}),
    ...(flags['keep-daily'] ? { keepDaily: flags['keep-daily'] } : {}),
    ...(flags['keep-weekly'] ? { keepWeekly: flags['keep-weekly'] } : {}),
  };
}
