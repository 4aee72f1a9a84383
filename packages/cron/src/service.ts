/**
 * `dockside cron start/stop/ls/history/run/validate` on the host.
 *
 * Schedulers are named (`--name`, default "default"): several may run on one engine, one per name.
 * The container's name, `dockside-cron-<name>` (its api-proxy's `dockside-cron-<name>-api-proxy`,
 * created first), is the lock: the engine refuses a second container of that name atomically, so two
 * `cron start --name N` at once give one scheduler and one refusal. A label job belongs to the
 * scheduler its `.scheduler` option names (default "default"); every other scheduler ignores it.
 *
 * A scheduler is a long-running sidecar (restart unless-stopped) given:
 *   - no Docker socket: it reaches the engine through its own api-proxy (engine `apiAccess`), which
 *     allows what CRON_API_RULES lists and nothing more; its container creates (run jobs, backup
 *     sidecars) are checked against a create policy (no privileged container, caps limited to
 *     what the backup sidecar needs, host binds only under the --backup-dir directories, no
 *     socket, no host namespaces); exec start and attach may be hijacked. Every capability
 *     dropped, read-only root file system, no-new-privileges, small limits;
 *   - a named volume of its own (`dockside-cron-state` for "default", `dockside-cron-state-<name>`
 *     otherwise; labelled with role and name when dockside creates it) for its journal and job list: history and the
 *     last handled slot per job survive `docker kill`, restarts, and `cron stop` + `cron start`;
 *   - each `--backup-dir` bind-mounted at the same path (the backup service's own checks of a
 *     directory destination then see the host directory);
 *   - the `--config` jobs, parsed here (errors name the file), copied in as a file before start.
 *
 * ls, history and run ask the running scheduler through `docker exec` of its own program (which
 * prints a sidecar protocol result): that works the same on a remote engine, where the volume is
 * not reachable from the CLI's host, and only the scheduler reads its state format.
 */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { Writable } from 'node:stream';
import { EXIT, NotFoundError, ROLE, UsageError, UserError } from '@dockside/common';
import {
  EventReader,
  checkHostPath,
  createNamedVolume,
  inspectImage,
  inspectVolume,
  LABEL,
  execInContainer,
  listDocksideContainers,
  listAllContainers,
  removeNamedVolume,
  removeOrphanApiProxies,
  removeWithAnonymousVolumes,
  startService,
  stopService,
  stopContainer,
  type Engine,
} from '@dockside/engine';
import { CRON_API_RULES, cronCreatePolicy } from './api-access.js';
import { SCHEDULER_SECRET_DIR } from './scheduler-files.js';
import { ConfigError, parseJobsYaml, type ConfigJob } from './jobs/from-config.js';
import { DEFAULT_SCHEDULER, type JobEntry } from './jobs/model.js';
import type { HistoryRow, JobRow } from './program/report.js';
import type { HistoryResult, LsResult, RunResult } from './events.js';
import { collectJobs } from './jobs/collect.js';

export const SERVICE_LABEL = 'dockside.scheduler';
/** The scheduler's name (`--name`) on its container and on the state volume dockside made for it. */
export const NAME_LABEL = 'dockside.scheduler.name';
export const STATE_VOLUME = 'dockside-cron-state';
export { DEFAULT_SCHEDULER };
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

/** A scheduler name is part of container and volume names: letters, digits, _ . - (as `logs ship --name`). */
export function checkSchedulerName(name: string): string {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,40}$/.test(name)) {
    throw new UsageError(`--name must be 1 to 41 letters, digits, _ . or - starting with a letter or digit (got "${name}")`, { hint: 'e.g. --name nightly' });
  }
  return name;
}

/** The state volume of the scheduler `name` ("default" keeps the volume of the unnamed scheduler before names). */
export function stateVolumeName(name: string): string {
  return name === DEFAULT_SCHEDULER ? STATE_VOLUME : `${STATE_VOLUME}-${name}`;
}

/** The scheduler's container name: the engine keeps it unique, which makes it the one-per-name lock. */
export function schedulerContainerName(name: string): string {
  return `dockside-cron-${name}`;
}

export interface SchedulerContainer {
  id: string;
  /** Container name. */
  container: string;
  /** Scheduler name (`--name`). */
  name: string;
  state: string;
}

/** The schedulers on the engine (in any state), or those named `name`. One made before names is "default". */
export async function findScheduler(engine: Engine, name?: string): Promise<SchedulerContainer[]> {
  const list = await listAllContainers(engine, [`${LABEL.managed}=true`, `${LABEL.role}=${ROLE.cron}`, `${SERVICE_LABEL}=true`]);
  return list.map((c) => ({ id: c.id, container: c.name, name: c.labels[NAME_LABEL] ?? DEFAULT_SCHEDULER, state: c.state })).filter((c) => name === undefined || c.name === name);
}

const ALIVE = new Set(['running', 'restarting', 'created', 'paused']);

async function runningScheduler(engine: Engine, name: string): Promise<SchedulerContainer> {
  const all = await findScheduler(engine);
  const s = all.find((c) => c.name === name && c.state === 'running');
  if (s) return s;
  const others = [...new Set(all.filter((c) => c.state === 'running').map((c) => c.name))];
  const flag = name === DEFAULT_SCHEDULER ? '' : ` --name ${name}`;
  throw new NotFoundError(`no scheduler named "${name}" is running on this engine`, {
    hint: others.length ? `running: ${others.join(', ')} (pick one with --name or DOCKSIDE_CRON_NAME)` : `start it with \`dockside cron start${flag}\``,
  });
}

export interface StartOptions {
  image: string;
  backupImage: string;
  version: string;
  session: string;
  config?: CronConfig;
  backupDirs: string[];
  /** The scheduler's name (default "default"). */
  name?: string;
  /** The password (its file's content) for backup jobs to repositories: copied in as a 0400 secret. */
  repoPassword?: string;
  /** Named volume for the state (default: stateVolumeName(name)). */
  stateVolume?: string;
  readyTimeoutMs?: number;
}

export async function startCron(engine: Engine, opts: StartOptions): Promise<{ id: string; name: string; container: string; volume: string; jobs: number }> {
  const name = checkSchedulerName(opts.name ?? DEFAULT_SCHEDULER);
  // Before anything is stopped or made: a backup dir is bind-mounted read-write into the scheduler.
  // The host-path rule first, for every directory: a forbidden one is refused as such even when
  // an earlier one in the list is also missing.
  for (const d of opts.backupDirs) {
    if (!isAbsolute(d)) throw new UsageError(`--backup-dir ${d} must be an absolute path`);
    await checkHostPath(engine, d, `--backup-dir ${d}`);
  }
  if (engine.endpoint.kind === 'unix') for (const d of opts.backupDirs) checkBackupDir(d);
  if (opts.config) await refuseClashes(engine, opts.config, name);
  const existing = await findScheduler(engine, name);
  const alive = existing.find((c) => ALIVE.has(c.state));
  if (alive) throw alreadyRunning(name, alive.container);
  // A stopped or dead one of this name goes (history stays on the volume); one still starting stays.
  for (const c of existing) await removeWithAnonymousVolumes(engine, c.id);
  const dirs = [...new Set(opts.backupDirs.map((d) => d.replace(/\/+$/, '') || '/'))];
  const cmd = ['serve', '--name', name, '--state', STATE_DIR, '--backup-image', opts.backupImage, ...dirs.flatMap((d) => ['--backup-dir', d])];
  if (opts.config) cmd.push('--config', `${CONFIG_DIR}/jobs.json`);
  const volume = opts.stateVolume ?? stateVolumeName(name);
  const newVolume = !(await inspectVolume(engine, volume));
  if (newVolume) await createNamedVolume(engine, volume, { [LABEL.managed]: 'true', [LABEL.role]: ROLE.cron, [NAME_LABEL]: name });
  const started = startService(
    engine,
    {
      role: ROLE.cron,
      name: schedulerContainerName(name),
      image: opts.image,
      version: opts.version,
      session: opts.session,
      cmd,
      apiAccess: { rules: [...CRON_API_RULES], createPolicy: cronCreatePolicy(dirs) },
      mounts: [{ type: 'volume', source: volume, target: STATE_DIR }, { type: 'tmpfs', target: '/tmp' }, ...dirs.map((d) => ({ type: 'bind' as const, source: d, target: d }))],
      secretDir: CONFIG_DIR,
      secrets: [
        ...(opts.config ? [{ name: 'jobs.json', content: JSON.stringify(opts.config), mode: 0o400 }] : []),
        ...(opts.repoPassword ? [{ name: 'repo-password', content: `${opts.repoPassword}\n`, mode: 0o400 }] : []),
      ],
      capAdd: [],
      readonlyRootfs: true,
      labels: { [SERVICE_LABEL]: 'true', [NAME_LABEL]: name },
      hostConfig: { Memory: 256 * 1024 * 1024, PidsLimit: 128 },
      restart: 'unless-stopped',
    },
    { what: 'the scheduler', ...(opts.readyTimeoutMs ? { timeoutMs: opts.readyTimeoutMs } : {}) },
  );
  const { id } = await started.catch(async (err: unknown) => {
    // The engine refused the name: another `cron start` of this name got there first.
    // The volume stays: that start uses it.
    if (err instanceof UserError && err.code === 'ECONFLICT') {
      const other = (await findScheduler(engine, name)).find((c) => ALIVE.has(c.state));
      throw alreadyRunning(name, other?.container ?? `${schedulerContainerName(name)}-api-proxy`, !other);
    }
    if (newVolume) await removeNamedVolume(engine, volume).catch(() => undefined);
    throw err;
  });
  const ls = await lsCron(engine, name).catch(() => ({ jobs: [] as JobRow[] }));
  return { id, name, container: schedulerContainerName(name), volume, jobs: ls.jobs.length };
}

/** A backup directory must be there already (a typo must not become a new directory) and be one. */
function checkBackupDir(d: string): void {
  let st;
  try {
    st = statSync(d);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`--backup-dir ${d} does not exist`, { hint: `create it first (mkdir -p ${d}); the scheduler creates no directory of its own` });
    throw new UsageError(`--backup-dir ${d} cannot be read: ${code ?? String(err)}`);
  }
  if (!st.isDirectory()) throw new UsageError(`--backup-dir ${d} is not a directory`, { hint: 'give the directory backups go under, e.g. /srv/backups' });
}

function alreadyRunning(name: string, container: string, starting = false): UserError {
  const flag = name === DEFAULT_SCHEDULER ? '' : ` --name ${name}`;
  return new UserError(`a scheduler named "${name}" is already ${starting ? 'starting' : 'running'} on this engine (${container})`, {
    exitCode: EXIT.usage,
    code: 'EEXISTS',
    hint: starting
      ? `wait for that start to end; if none is under way, \`dockside cron stop${flag}\` removes what a cut-short start left`
      : `stop it first with \`dockside cron stop${flag}\` (history is kept), or start another one with --name <other>`,
  });
}

/** Stop (SIGTERM: runs in progress end and are recorded interrupted) and remove; the state volume stays. */
export async function stopCron(engine: Engine, name: string | undefined): Promise<SchedulerContainer[]> {
  if (name !== undefined) checkSchedulerName(name);
  const list = await findScheduler(engine, name);
  await Promise.all(
    list.map(async (c) => {
      // The scheduler goes with its api-proxy and the proxy's socket volume.
      await stopService(engine, c.id, c.state === 'running' ? 20 : 0);
    }),
  );
  // A start cut short between the proxy and the scheduler left a proxy serving nobody.
  await removeOrphanApiProxies(engine, { role: ROLE.cron, ...(name !== undefined ? { service: schedulerContainerName(name) } : {}) });
  return list;
}

async function askScheduler<R>(engine: Engine, name: string, args: string[], stdout?: NodeJS.WritableStream): Promise<{ exitCode: number; result: R | undefined; text: string[] }> {
  const s = await runningScheduler(engine, checkSchedulerName(name));
  const reader = new EventReader<Record<string, unknown>, R>();
  const sink = stdout ?? new Writable({ write: (_c, _e, cb) => cb() });
  const exitCode = await execInContainer(engine, s.id, [...PROGRAM, ...args], { stdout: sink, stderr: reader });
  reader.end();
  if (reader.error) throw new UserError(reader.error.message, { exitCode: reader.error.exitCode, ...(reader.error.hint ? { hint: reader.error.hint } : {}) });
  return { exitCode, result: reader.result, text: reader.textTail };
}

export async function lsCron(engine: Engine, name: string = DEFAULT_SCHEDULER): Promise<{ at: string | null; jobs: JobRow[] }> {
  const r = await askScheduler<LsResult>(engine, name, ['ls']);
  if (!r.result) throw new UserError(`the scheduler did not answer ls (exit ${r.exitCode})${r.text.length ? `: ${r.text[r.text.length - 1]}` : ''}`);
  return r.result;
}

export async function historyCron(engine: Engine, opts: { name?: string; job?: string; limit: number }): Promise<HistoryRow[]> {
  const args = ['history', '--limit', String(opts.limit), ...(opts.job ? ['--job', opts.job] : [])];
  const r = await askScheduler<HistoryResult>(engine, opts.name ?? DEFAULT_SCHEDULER, args);
  if (!r.result) throw new UserError(`the scheduler did not answer history (exit ${r.exitCode})`);
  return r.result.runs;
}

/** A run now, its output streamed to `stdout`; resolves once it ends. */
export async function runCronJob(engine: Engine, name: string, job: string, force: boolean, stdout: NodeJS.WritableStream): Promise<RunResult> {
  const r = await askScheduler<RunResult>(engine, name, ['run', job, ...(force ? ['--force'] : [])], stdout);
  const o = r.result ?? { error: `the scheduler did not answer (exit ${r.exitCode})` };
  if (o.error && !o.status) {
    throw new NotFoundError(o.error, o.known ? { hint: o.known.length ? `jobs: ${o.known.join(', ')}` : 'no jobs are declared; see `dockside cron ls`' } : {});
  }
  return o;
}

/** Every job the labels of the engine's containers and the config declare, checked (on the host, no scheduler needed). */
export async function validateCron(engine: Engine, config?: CronConfig, name: string = DEFAULT_SCHEDULER): Promise<JobEntry[]> {
  const entries = collectJobs(await listAllContainers(engine), config, { ownLabel: LABEL.role, requireContainers: true, scheduler: checkSchedulerName(name) });
  // A run job's image must be on the engine: the scheduler pulls nothing.
  const images = new Map<string, boolean>();
  for (const e of entries) if (e.valid && e.action.kind === 'run' && !images.has(e.action.image)) images.set(e.action.image, Boolean(await inspectImage(engine, e.action.image)));
  return entries.map(
    (e): JobEntry =>
      e.valid && e.action.kind === 'run' && !images.get(e.action.image)
        ? {
            valid: false,
            id: e.id,
            name: e.name,
            container: e.container,
            origin: e.origin,
            field: 'image',
            reason: `no image "${e.action.image}" on this engine; pull or build it first`,
          }
        : e,
  );
}

/** At start: an id declared by labels and in the file is refused (the scheduler would run neither). */
async function refuseClashes(engine: Engine, config: CronConfig, name: string): Promise<void> {
  const clash = (await validateCron(engine, config, name)).find((e) => !e.valid && e.field === 'id');
  if (clash && !clash.valid) throw new UsageError(`job ${clash.id} is ${clash.reason}`, { hint: 'see `dockside cron validate --config ...`' });
}
