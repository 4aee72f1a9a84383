/**
 * `dockside cron start/stop/ls/history/run/validate` on the host.
 *
 * The scheduler is a long-running sidecar (restart unless-stopped) given:
 *   - no Docker socket: it reaches the engine through its own api-proxy (engine `apiAccess`), which
 *     allows what CRON_API_ALLOW lists and nothing more; its container creates (run jobs, backup
 *     sidecars) are checked against a create policy (no privileged container, caps limited to
 *     what the backup sidecar needs, host binds only under the --backup-dir directories, no
 *     socket, no host namespaces); exec start and attach may be hijacked. Every capability
 *     dropped, read-only root file system, no-new-privileges, small limits;
 *   - a named volume it owns (`dockside-cron-state`) for its journal and job list: history and the
 *     last handled slot per job survive `docker kill`, restarts, and `cron stop` + `cron start`;
 *   - each `--backup-dir` bind-mounted at the same path (the backup service's own checks of a
 *     directory destination then see the host directory);
 *   - the `--config` jobs, parsed here (errors name the file), copied in as a file before start.
 *
 * ls, history and run ask the running scheduler through `docker exec` of its own program (which
 * prints a sidecar protocol result): that works the same on a remote engine, where the volume is
 * not reachable from the CLI's host, and only the scheduler reads its state format.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { Writable } from 'node:stream';
import { NotFoundError, ROLE, UsageError, UserError } from '@dockside/common';
import {
  EventReader,
  checkHostPath,
  LABEL,
  OutputTail,
  execInContainer,
  listDocksideContainers,
  listAllContainers,
  removeOrphanApiProxies,
  removeWithAnonymousVolumes,
  startServiceWithSecrets,
  stopContainer,
  type DocksideContainer,
  type Engine,
} from '@dockside/engine';
import { cronApiRules, cronCreatePolicy } from './api-access.js';
import { SCHEDULER_SECRET_DIR } from './scheduler-files.js';
import { ConfigError, parseJobsYaml, type ConfigJob } from './jobs/from-config.js';
import type { JobEntry } from './jobs/model.js';
import type { HistoryRow, JobRow } from './program/report.js';
import { collectJobs } from './jobs/collect.js';

export const SERVICE_LABEL = 'dockside.scheduler';
export const STATE_VOLUME = 'dockside-cron-state';
export const STATE_DIR = '/var/lib/dockside-cron';
const CONFIG_DIR = SCHEDULER_SECRET_DIR;
const PROGRAM = ['node', '/opt/dockside/cron.mjs'];

export interface CronConfig {
  file: string;
  jobs: ConfigJob[];
}

export function readConfig(file: string): CronConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { hint: 'give a YAML file with a "jobs:" mapping' });
  }
  try {
    return { file, jobs: parseJobsYaml(text, file) };
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message, { hint: 'see `dockside cron start --help` for the file format' });
    throw err;
  }
}

export async function findScheduler(engine: Engine): Promise<DocksideContainer[]> {
  return listDocksideContainers(engine, { [LABEL.role]: 'cron', [SERVICE_LABEL]: 'true' });
}

async function runningScheduler(engine: Engine): Promise<DocksideContainer> {
  const s = (await findScheduler(engine)).find((c) => c.state === 'running');
  if (!s) throw new NotFoundError('no scheduler is running on this engine', { hint: 'start it with `dockside cron start`' });
  return s;
}

export interface StartOptions {
  image: string;
  backupImage: string;
  version: string;
  session: string;
  config?: CronConfig;
  backupDirs: string[];
  /** The password (its file's content) for backup jobs to repositories: copied in as a 0400 secret. */
  repoPassword?: string;
  /** Named volume for the state (default dockside-cron-state). */
  stateVolume?: string;
  readyTimeoutMs?: number;
}

export async function startCron(engine: Engine, opts: StartOptions): Promise<{ id: string; name: string; jobs: number }> {
  // Before anything is stopped or made: a backup dir is bind-mounted read-write into the scheduler.
  for (const d of opts.backupDirs) {
    if (!isAbsolute(d)) throw new UsageError(`--backup-dir ${d} must be an absolute path`);
    await checkHostPath(engine, d, `--backup-dir ${d}`);
  }
  if (opts.config) await refuseClashes(engine, opts.config);
  const existing = (await findScheduler(engine)).filter((c) => c.state === 'running' || c.state === 'restarting');
  if (existing.length) {
    throw new UserError(`a scheduler is already running on this engine (${existing[0]?.name})`, { exitCode: 2, code: 'EEXISTS', hint: 'stop it first with `dockside cron stop` (history is kept)' });
  }
  await stopCron(engine);
  for (const d of opts.backupDirs) {
    if (engine.endpoint.kind === 'unix' && !existsSync(d)) mkdirSync(d, { recursive: true });
  }
  const dirs = [...new Set(opts.backupDirs.map((d) => d.replace(/\/+$/, '') || '/'))];
  const cmd = ['serve', '--state', STATE_DIR, '--backup-image', opts.backupImage, ...dirs.flatMap((d) => ['--backup-dir', d])];
  if (opts.config) cmd.push('--config', `${CONFIG_DIR}/jobs.json`);
  const { id } = await startServiceWithSecrets(
    engine,
    {
      role: ROLE.cron,
      image: opts.image,
      version: opts.version,
      session: opts.session,
      cmd,
      apiAccess: { rules: cronApiRules(), createPolicy: cronCreatePolicy(dirs) },
      mounts: [
        { type: 'volume', source: opts.stateVolume ?? STATE_VOLUME, target: STATE_DIR },
        { type: 'tmpfs', target: '/tmp' },
        ...dirs.map((d) => ({ type: 'bind' as const, source: d, target: d })),
      ],
      secretDir: CONFIG_DIR,
      secrets: [
        ...(opts.config ? [{ name: 'jobs.json', content: JSON.stringify(opts.config), mode: 0o400 }] : []),
        ...(opts.repoPassword ? [{ name: 'repo-password', content: `${opts.repoPassword}\n`, mode: 0o400 }] : []),
      ],
      capAdd: [],
      readonlyRootfs: true,
      labels: { [SERVICE_LABEL]: 'true' },
      hostConfig: { Memory: 256 * 1024 * 1024, PidsLimit: 128 },
      restart: 'unless-stopped',
    },
    async (cid) => {
      const end = Date.now() + (opts.readyTimeoutMs ?? 30_000);
      for (;;) {
        const out = new OutputTail();
        const code = await execInContainer(engine, cid, [...PROGRAM, 'health'], { stdout: out, stderr: out }).catch(() => -1);
        if (code === 0) return;
        if (Date.now() > end) {
          const { containerLogTail } = await import('@dockside/engine');
          const said = (await containerLogTail(engine, cid, 3)).split('\n').pop() ?? '';
          throw new UserError(`the scheduler did not become ready within ${Math.round((opts.readyTimeoutMs ?? 30_000) / 1000)} s and was removed${said ? `; it said: ${said}` : ''}`);
        }
        await new Promise((r) => setTimeout(r, 300));
      }
    },
  );
  const me = (await findScheduler(engine)).find((c) => c.id === id);
  const ls = await lsCron(engine).catch(() => ({ jobs: [] as JobRow[] }));
  return { id, name: me?.name ?? id.slice(0, 12), jobs: ls.jobs.length };
}

/** Stop (SIGTERM: runs in progress end and are recorded interrupted) and remove; the state volume stays. */
export async function stopCron(engine: Engine): Promise<DocksideContainer[]> {
  const list = await findScheduler(engine);
  await Promise.all(
    list.map(async (c) => {
      if (c.state === 'running') await stopContainer(engine, c.id, 20).catch(() => undefined);
      // The scheduler goes with its api-proxy and the proxy's socket volume.
      await removeWithAnonymousVolumes(engine, c.id);
    }),
  );
  await removeOrphanApiProxies(engine, { role: ROLE.cron });
  return list;
}

async function askScheduler<R>(engine: Engine, args: string[], stdout?: NodeJS.WritableStream): Promise<{ exitCode: number; result: R | undefined; text: string[] }> {
  const s = await runningScheduler(engine);
  const reader = new EventReader<Record<string, unknown>, R>();
  const sink = stdout ?? new Writable({ write: (_c, _e, cb) => cb() });
  const exitCode = await execInContainer(engine, s.id, [...PROGRAM, ...args], { stdout: sink, stderr: reader });
  reader.end();
  if (reader.error) throw new UserError(reader.error.message, { exitCode: reader.error.exitCode, ...(reader.error.hint ? { hint: reader.error.hint } : {}) });
  return { exitCode, result: reader.result, text: reader.textTail };
}

export async function lsCron(engine: Engine): Promise<{ at: string | null; jobs: JobRow[] }> {
  const r = await askScheduler<{ at: string | null; jobs: JobRow[] }>(engine, ['ls']);
  if (!r.result) throw new UserError(`the scheduler did not answer ls (exit ${r.exitCode})${r.text.length ? `: ${r.text[r.text.length - 1]}` : ''}`);
  return r.result;
}

export async function historyCron(engine: Engine, opts: { job?: string; limit: number }): Promise<HistoryRow[]> {
  const args = ['history', '--limit', String(opts.limit), ...(opts.job ? ['--job', opts.job] : [])];
  const r = await askScheduler<{ runs: HistoryRow[] }>(engine, args);
  if (!r.result) throw new UserError(`the scheduler did not answer history (exit ${r.exitCode})`);
  return r.result.runs;
}

export interface RunOutcome {
  run?: string;
  status?: string;
  exitCode?: number | null;
  error?: string;
  known?: string[];
}

/** A run now, its output streamed to `stdout`; resolves once it ends. */
export async function runCronJob(engine: Engine, job: string, force: boolean, stdout: NodeJS.WritableStream): Promise<RunOutcome> {
  const r = await askScheduler<RunOutcome>(engine, ['run', job, ...(force ? ['--force'] : [])], stdout);
  const o = r.result ?? { error: `the scheduler did not answer (exit ${r.exitCode})` };
  if (o.error && !o.status) {
    throw new NotFoundError(o.error, o.known ? { hint: o.known.length ? `jobs: ${o.known.join(', ')}` : 'no jobs are declared; see `dockside cron ls`' } : {});
  }
  return o;
}

/** Every job the labels of the engine's containers and the config declare, checked (on the host, no scheduler needed). */
export async function validateCron(engine: Engine, config?: CronConfig): Promise<JobEntry[]> {
  return collectJobs(await listAllContainers(engine), config, { ownLabel: LABEL.role, requireContainers: true });
}

/** At start: an id declared by labels and in the file is refused (the scheduler would run neither). */
async function refuseClashes(engine: Engine, config: CronConfig): Promise<void> {
  const clash = (await validateCron(engine, config)).find((e) => !e.valid && e.field === 'id');
  if (clash && !clash.valid) throw new UsageError(`job ${clash.id} is ${clash.reason}`, { hint: 'see `dockside cron validate --config ...`' });
}
