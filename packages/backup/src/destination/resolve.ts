/**
 * A backup destination resolved for both sides: how the host opens it (ls, prune) and how the
 * sidecar sees it (a bind mount at /backup-destination, or S3 with a credentials file copied in at
 * start).
 */
import { stat } from 'node:fs/promises';
import { NotFoundError, UsageError, UserError } from '@dockside/common';
import { checkHostPath, type SidecarFile, type SidecarMount } from '@dockside/engine';
import type { DestinationConfig, S3Credentials } from './config.js';
import { openDestination, type Destination } from './destination.js';
import { describeDestination, parseDestination, type DestinationSpec } from './parse.js';
import { createDirectory } from './create-dir.js';
import { resolveRegion, resolveS3Credentials } from './credentials.js';

export interface DestinationOptions {
  /** --to / --from */
  destination: string;
  s3Endpoint?: string;
  s3Region?: string;
  s3PathStyle?: boolean;
  s3Profile?: string;
  /** Network of the sidecar for S3 (default: the engine's bridge). */
  network?: string;
}

export interface ResolvedDestination {
  spec: DestinationSpec;
  description: string;
  host: DestinationConfig;
  sidecar: DestinationConfig;
  credentials?: S3Credentials;
  mounts: (readOnly: boolean) => SidecarMount[];
  files: SidecarFile[];
  networkMode: string;
  /** Extra capabilities the sidecar needs to write there. */
  writeCaps: string[];
  open(): Promise<Destination>;
}

export const SIDECAR_DIR = '/backup-destination';
const CREDS_FILE = '/etc/dockside/s3.json';

export async function resolveDestination(opts: DestinationOptions, env: NodeJS.ProcessEnv, mode: 'write' | 'read'): Promise<ResolvedDestination> {
  const spec = parseDestination(opts.destination);
  const description = describeDestination(spec);
  if (spec.kind === 'dir') {
    await checkHostPath(undefined, spec.path, `${mode === 'write' ? '--to' : '--from'} ${opts.destination}`);
    let owner = 0;
    if (mode === 'write') {
      await createDirectory(spec.path);
    }
    try {
      const s = await stat(spec.path);
      if (!s.isDirectory()) throw new UserError(`backup destination ${spec.path} is not a directory`, { hint: 'give a directory as --to/--from' });
      owner = s.uid;
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw new NotFoundError(`backup directory ${spec.path} does not exist`, { hint: 'check --from; `dockside backup <container> --to DIR` creates it' });
    }
    const host: DestinationConfig = { kind: 'dir', root: spec.path };
    return {
      spec,
      description,
      host,
      sidecar: { kind: 'dir', root: SIDECAR_DIR },
      mounts: (readOnly) => [{ type: 'bind', source: spec.path, target: SIDECAR_DIR, readOnly }],
      files: [],
      networkMode: 'none',
      // A directory owned by someone else is written with DAC_OVERRIDE, and what is written there
      // is given to that owner (CHOWN); a root-owned one needs neither.
      writeCaps: owner === 0 ? [] : ['DAC_OVERRIDE', 'CHOWN'],
      open: () => openDestination(host),
    };
  }
  if (opts.s3Endpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(opts.s3Endpoint);
    } catch {
      url = undefined;
    }
    if (!url || !/^https?:$/.test(url.protocol))
      throw new UsageError(`--s3-endpoint "${opts.s3Endpoint}" is not an http(s) URL`, { hint: 'write it in full, e.g. --s3-endpoint http://127.0.0.1:9000' });
  }
  const credentials = await resolveS3Credentials(env, opts.s3Profile);
  const base = {
    kind: 's3' as const,
    bucket: spec.bucket,
    prefix: spec.prefix,
    region: resolveRegion(env, opts.s3Region),
    pathStyle: opts.s3PathStyle ?? false,
    ...(opts.s3Endpoint ? { endpoint: opts.s3Endpoint } : {}),
  };
  return {
    spec,
    description,
    host: base,
    sidecar: { ...base, credentialsFile: CREDS_FILE },
    credentials,
    mounts: () => [],
    files: [{ path: CREDS_FILE, content: JSON.stringify(credentials), mode: 0o400 }],
    networkMode: opts.network ?? 'bridge',
    writeCaps: [],
    open: () => openDestination(base, credentials),
  };
}
