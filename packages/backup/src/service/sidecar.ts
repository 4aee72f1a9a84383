/** Running the backup sidecar with a job: events parsed from its stderr, its result from stdout. */
import { Writable, type Readable } from 'node:stream';
import { EXIT, UserError } from '@dockside/common';
import { OutputBuffer, runSidecar, type Engine, type SidecarMount, type TargetContainer } from '@dockside/engine';
import { decodeEvent, type Job, type SidecarEvent } from '../model.js';
import type { Location } from './location.js';

export interface ServiceContext {
  engine: Engine;
  /** dockside version (labels, manifests). */
  version: string;
  session: string;
  /** The backup image, e.g. dockside/backup:0.1.0. */
  image: string;
  env: NodeJS.ProcessEnv;
  /** Where progress and warnings go (stderr); progress bars only when it is a TTY. */
  progress?: { write(s: string): unknown; isTTY?: boolean };
}

export const BACKUP_ID_LABEL = 'dockside.backup.id';

class Lines extends Writable {
  private partial = '';
  readonly text: string[] = [];
  constructor(private readonly onEvent: (e: SidecarEvent) => void) {
    super();
  }
  override _write(chunk: Buffer, _e: BufferEncoding, cb: (err?: Error | null) => void): void {
    const parts = (this.partial + chunk.toString('utf8')).split('\n');
    this.partial = parts.pop() ?? '';
    if (this.partial.length > 1 << 20) this.partial = this.partial.slice(-4096);
    for (const l of parts) this.handle(l);
    cb();
  }
  override _final(cb: (err?: Error | null) => void): void {
    if (this.partial) this.handle(this.partial);
    cb();
  }
  private handle(line: string): void {
    const e = decodeEvent(line);
    if (e) {
      try {
        this.onEvent(e);
      } catch {
        /* a renderer must not break the run */
      }
    } else if (line.trim()) {
      this.text.push(line);
      if (this.text.length > 50) this.text.shift();
    }
  }
}

export interface JobRun {
  job: Job;
  location: Location;
  target?: TargetContainer;
  joinVolumes: boolean;
  capAdd: string[];
  mounts?: SidecarMount[];
  readOnlyStore: boolean;
  backupId?: string;
  stdin?: Readable;
  /** Where the sidecar's stdout goes (default: collected and returned). */
  stdout?: NodeJS.WritableStream;
  onEvent?: (e: SidecarEvent) => void;
  onStarted?: (id: string) => void;
}

export async function runJob(ctx: ServiceContext, run: JobRun): Promise<{ stdout: string; exitCode: number }> {
  const out = new OutputBuffer(64 * 1024 * 1024);
  const err = new Lines(run.onEvent ?? (() => undefined));
  const { exitCode } = await runSidecar(
    ctx.engine,
    {
      role: 'backup',
      image: ctx.image,
      version: ctx.version,
      session: ctx.session,
      ...(run.target ? { target: run.target } : {}),
      join: { volumes: run.joinVolumes },
      cmd: ['run'],
      files: [{ path: '/etc/dockside/job.json', content: JSON.stringify(run.job), mode: 0o400 }, ...run.location.files],
      mounts: [...run.location.mounts(run.readOnlyStore), ...(run.mounts ?? [])],
      capAdd: run.capAdd,
      networkMode: run.location.networkMode,
      ...(run.backupId ? { labels: { [BACKUP_ID_LABEL]: run.backupId } } : {}),
      ...(run.stdin ? { stdin: true } : {}),
    },
    {
      stdout: run.stdout ?? out,
      stderr: err,
      ...(run.stdin ? { stdin: run.stdin } : {}),
      ...(run.onStarted ? { onStarted: run.onStarted } : {}),
    },
  );
  await new Promise<void>((r) => err.end(r));
  const failed = err.text.some((l) => l.startsWith('dockside-backup:'));
  // verify exits 1 when an archive is bad (reported through events), without an error line.
  if (exitCode !== 0 && (failed || run.job.op !== 'verify' || exitCode !== 1)) throw sidecarFailure(exitCode, err.text);
  return { stdout: out.text(), exitCode };
}

function sidecarFailure(code: number, text: string[]): UserError {
  const last = [...text].reverse().find((l) => l.startsWith('dockside-backup:'));
  const hint = text.find((l) => l.trim().startsWith('hint:'));
  if (last) return new UserError(last.replace(/^dockside-backup:\s*/, ''), { ...(hint ? { hint: hint.trim().replace(/^hint:\s*/, '') } : {}), exitCode: code === EXIT.usage || code === EXIT.busy ? code : EXIT.failure });
  if (code === 137) return new UserError('the backup sidecar was killed (exit 137); nothing was committed', { hint: 'the next backup removes what it left behind' });
  const tail = text.slice(-3).join(' | ');
  return new UserError(`the backup sidecar failed with exit code ${code}${tail ? `: ${tail}` : ''}`);
}
