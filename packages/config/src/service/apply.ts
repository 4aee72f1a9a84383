/**
 * A config change from start to end: read the file as it is, show the diff and ask, stage the new
 * bytes beside the file, validate the staged copy inside the app (`--validate`, `{}` = the staged
 * path), rename it into place keeping the previous version, reload the app, check its health, and
 * put the previous version back (and reload again) if it is not healthy. Nothing changes before
 * the validator passes; an interruption before the rename leaves the file as it was.
 */
import { EXIT, InterruptedError, TargetStateError, UserError, isUserError } from '@dockside/common';
import { OutputTail, execInContainer, resolveContainer, type TargetContainer } from '@dockside/engine';
import { diffStat, unifiedDiff } from '../diff.js';
import type { FileInfo, HistoryEntry } from '../events.js';
import { checkText, healthcheckCommand, reloadText, resolveSpec, validatorArgv, type Check, type ConfigSpec, type SpecFlags } from '../spec.js';
import type { ConfigContext } from './context.js';
import { checkHealth, type HealthOutcome } from './health.js';
import { SignalGuard } from './interrupts.js';
import { reloadTarget } from './reload.js';
import { storeFor, type FileStore } from './store.js';

export interface ApplyOptions extends SpecFlags {
  container: string;
  /** A path, or a name declared by the container's dockside.config.<name>.path label. */
  ref: string;
  inLayer: boolean;
  /** How long the app has to become healthy after the reload (ms). */
  deadlineMs: number;
  /** Ask before applying; resolves false to give up. Not called with `yes`. */
  confirm?: (diff: string) => Promise<boolean>;
  yes: boolean;
  /** Where the diff is printed. */
  out: NodeJS.WritableStream;
}

export type Source =
  | { kind: 'content'; content: Buffer; label: string }
  /** Kept version n (default: the newest). */
  | { kind: 'version'; n?: number }
  /** An editor run on a local copy of the file as read (edit.ts). */
  | { kind: 'edit'; edit: (current: Buffer, guard: SignalGuard) => Promise<Buffer> };

export interface ApplyReport {
  container: string;
  path: string;
  changed: boolean;
  where: string;
  before?: string;
  after?: string;
  /** The version the replaced file was kept as. */
  saved?: HistoryEntry;
  validated?: boolean;
  reload?: string;
  health?: HealthOutcome;
}

export async function applyConfig(ctx: ConfigContext, o: ApplyOptions, source: Source): Promise<ApplyReport> {
  const guard = new SignalGuard();
  try {
    return await apply(ctx, o, source, guard);
  } finally {
    guard.dispose();
  }
}

async function apply(ctx: ConfigContext, o: ApplyOptions, source: Source, guard: SignalGuard): Promise<ApplyReport> {
  const target = await resolveContainer(ctx.engine, o.container);
  const spec = resolveSpec(o.ref, target.labels, o, target.name);
  const check: Check | undefined = spec.noCheck ? undefined : (spec.check ?? (target.healthcheck ? healthcheckCommand(target.healthcheck) : undefined));
  if (spec.validate || spec.reload.kind === 'signal' || check) {
    if (!target.running)
      throw new TargetStateError(`container "${target.name}" is not running (${target.status}): it cannot validate, reload or be checked`, {
        hint: `start it first: docker start ${target.name}`,
      });
  }
  const store = storeFor(ctx, target, spec.path, { inLayer: o.inLayer, writing: true });
  if (spec.validate) validatorArgv(spec.validate, '{}'); // bad quoting is bad input before anything runs
  guard.check();

  const current = await store.read();
  guard.check();
  let next: Buffer;
  let label: string;
  let version: HistoryEntry | undefined;
  if (source.kind === 'content') {
    next = source.content;
    label = source.label;
  } else if (source.kind === 'edit') {
    next = await source.edit(current.content, guard);
    label = `${spec.path} (edited)`;
  } else {
    const { versions } = await store.history();
    const v = source.n === undefined ? versions.at(-1) : versions.find((e) => e.n === source.n);
    if (!v) {
      throw new UserError(source.n === undefined ? `${spec.path} has no previous version to roll back to` : `${spec.path} has no kept version ${source.n}`, {
        exitCode: EXIT.usage,
        hint: `see \`dockside config history ${target.name} ${spec.path}\``,
      });
    }
    next = await store.readVersion(v);
    version = v;
    label = `${spec.path} (version ${v.n}, ${v.replacedAt})`;
  }
  guard.check();
  const report: ApplyReport = { container: target.name, path: spec.path, changed: false, where: store.where, before: current.info.sha256 };
  if (next.equals(current.content)) {
    ctx.say(`${spec.path} on ${target.name} already has this content; nothing to do`);
    return report;
  }
  const diff = unifiedDiff(current.content.toString('utf8'), next.toString('utf8'), { from: `${spec.path} (${target.name})`, to: label });
  o.out.write(diff);
  if (!o.yes && o.confirm && !(await o.confirm(diff))) {
    ctx.say('not applied');
    return report;
  }
  guard.check();
  if (store.kind === 'layer') ctx.say(`warning: ${spec.path} is in the image's layer: this change is lost when "${target.name}" is recreated, and no previous version is kept`);

  // A rollback stages a copy of the kept file itself (its owner, mode and xattrs as they were kept).
  const staged = (await store.stage(version ? { version: version.n } : { content: next })).staged;
  let committed = false;
  try {
    guard.check();
    if (spec.validate) {
      await validate(ctx, target, spec, staged);
      report.validated = true;
    }
    guard.check();
    const done = await store.commit(staged, current.info.sha256);
    committed = true;
    report.changed = true;
    report.after = done.current.sha256;
    if (done.saved) report.saved = done.saved;
    const { added, removed } = diffStat(current.content.toString('utf8'), next.toString('utf8'));
    ctx.say(`applied ${spec.path} on ${target.name} (+${added} -${removed} lines${done.saved ? `; the previous version is kept as version ${done.saved.n}` : ''})`);
  } finally {
    if (!committed) await store.discard(staged).catch((err: unknown) => ctx.say(`warning: could not remove the staged copy ${staged}: ${(err as Error).message}`));
  }

  try {
    report.reload = await reloadTarget(ctx, target, spec.reload);
    ctx.say(report.reload);
    if (!check) return report;
    report.health = await checkHealth(ctx, target, check, o.deadlineMs);
    guard.check();
    if (report.health.healthy) {
      ctx.say(`healthy: ${checkText(check)} (${report.health.last}, ${report.health.attempts} attempts in ${report.health.elapsedMs} ms)`);
      return report;
    }
    return await rollBack(ctx, target, spec, store, report, current, check, o.deadlineMs);
  } catch (err) {
    // Past the rename an interruption cannot undo the change: say where it stopped, and how to undo it.
    if (!(err instanceof InterruptedError)) throw err;
    throw new UserError(
      `interrupted by ${err.signal} after ${spec.path} on ${target.name} was replaced${report.reload ? ` (${report.reload})` : ', before the reload'}${report.health ? '' : ', before its health was confirmed'}`,
      {
        exitCode: err.exitCode,
        code: 'EINTR',
        hint: `the previous version is kept: dockside config rollback ${target.name} ${spec.path}${report.saved ? ` --to ${report.saved.n}` : ''}`,
      },
    );
  }
}

async function validate(ctx: ConfigContext, target: TargetContainer, spec: ConfigSpec, staged: string): Promise<void> {
  const argv = validatorArgv(spec.validate as string, staged);
  const out = new OutputTail(16 * 1024);
  let code: number;
  try {
    code = await execInContainer(ctx.engine, target.id, argv, { stdout: out, stderr: out });
  } catch (err) {
    if (isUserError(err))
      throw new UserError(`the validator \`${argv.join(' ')}\` could not run in ${target.name}: ${err.message}; ${spec.path} is unchanged`, {
        hint: 'is the command in the image? (it runs in the app, without a shell)',
      });
    throw err;
  }
  if (code === 0) {
    ctx.say(`validated by \`${argv.join(' ')}\` in ${target.name}`);
    return;
  }
  if (out.text.trim()) ctx.say(out.text.trimEnd());
  const missing = code === 126 || code === 127 ? ' (not found in the image? it runs without a shell)' : '';
  throw new UserError(`the validator \`${argv.join(' ')}\` refused the new ${spec.path} (exit ${code})${missing}; the file is unchanged`, {
    hint: 'its output is above; fix the file and run the command again',
  });
}

async function rollBack(
  ctx: ConfigContext,
  target: TargetContainer,
  spec: ConfigSpec,
  store: FileStore,
  report: ApplyReport,
  previous: { info: FileInfo; content: Buffer },
  check: Check,
  deadlineMs: number,
): Promise<never> {
  const h = report.health as HealthOutcome;
  const why = `${target.name} was not healthy after ${spec.reload.kind === 'none' ? 'the change' : reloadText(spec.reload)} (${checkText(check)}: ${h.last}${h.exited ? '' : `, ${h.attempts} attempts in ${h.elapsedMs} ms`})`;
  ctx.say(`${why}; putting the previous ${spec.path} back`);
  // From the history when there is one (the kept file itself: owner, mode, xattrs), else from memory (--in-layer).
  const putBack = (await store.stage(report.saved ? { version: report.saved.n } : { content: previous.content })).staged;
  try {
    await store.commit(putBack, report.after as string);
  } catch (err) {
    await store.discard(putBack).catch(() => undefined);
    throw new UserError(`${why}, and putting the previous ${spec.path} back failed: ${(err as Error).message}`, {
      hint: `roll back by hand: dockside config rollback ${target.name} ${spec.path}`,
    });
  }
  const again = await reloadTarget(ctx, target, spec.reload, { startIfStopped: true });
  ctx.say(again);
  // The app is checked once more, so the exit says whether it is back to health (and a reload
  // still in progress is over when the command returns).
  const after = await checkHealth(ctx, target, check, deadlineMs);
  const state = after.healthy ? 'healthy again' : `still not healthy (${after.last})`;
  throw new UserError(`${why}: the previous ${spec.path} (sha256 ${previous.info.sha256.slice(0, 12)}) was put back and the app reloaded (${again}); it is ${state}`, {
    hint: after.healthy ? 'the rejected version is kept in the history (`dockside config history`)' : `the app needs a look: docker logs ${target.name}`,
  });
}
