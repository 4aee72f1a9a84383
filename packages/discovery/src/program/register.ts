/**
 * `register --config FILE`: the register sidecar, in the target's network namespace. At its first
 * start (no marker yet on its config volume) a wrong port, an unreachable registry or a target
 * without an address fail the start with one error event; at later starts (the engine restarting
 * it into the target's new namespace) it waits and retries instead. Then: the stale sweep, the
 * first check, `ready`, and the loop (registrar.ts) until SIGTERM (withdraw and exit) or the
 * target's start (exit: the engine starts it again, joined to the new namespace).
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UsageError, UserError } from '@dockside/common';
import { EventWriter, flag } from '@dockside/sidecar-kit';
import type { RegisterConfig } from '../config.js';
import type { RegisterProgress } from '../events.js';
import { createRegistry } from '../registry/create.js';
import { instanceId, type Instance } from '../registry/instance.js';
import { isStale } from '../registry/registry.js';
import { listeningPorts, runCheck } from './check.js';
import { Registrar } from './registrar.js';
import { addressOn, engineClient, exitNow, followTarget, inspectTarget } from './target.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function register(args: string[]): Promise<number> {
  const file = flag(args, '--config');
  if (!file) throw new UsageError('register needs --config FILE');
  const cfg = JSON.parse(await readFile(file, 'utf8')) as RegisterConfig;
  const marker = join(dirname(file), 'started');
  const first = !existsSync(marker);
  const events = new EventWriter<RegisterProgress>();
  const log = (m: string) => process.stderr.write(`dockside-register: ${m}\n`);
  const client = engineClient();
  const registry = createRegistry(cfg.registry);

  // The target: running, with an address (a restart may give it a new one).
  let view = await inspectTarget(client, cfg.target.id).catch((err: Error) => {
    throw new UserError(`cannot inspect the target through the api-proxy: ${err.message}`, { code: 'EENGINE' });
  });
  const stopWatching: Array<() => void> = [];
  let restartNow: (() => void) | undefined;
  const restarted = new Promise<string>((resolve) => (restartNow = () => resolve('target-started')));
  if (!view.running) {
    // Stay up while it is down (the engine could not restart us now); its start restarts us.
    log(`target ${view.name} is not running: waiting for it to start`);
    stopWatching.push(
      followTarget(
        client,
        cfg.target.id,
        (e) => e === 'started' && restartNow?.(),
        () => undefined,
      ).stop,
    );
    await Promise.race([restarted, signal()]);
    stopWatching.forEach((s) => s());
    return exitNow(0);
  }
  const address = addressOn(view, cfg.network);
  if (first) {
    const ports = await listeningPorts();
    if (!ports.includes(cfg.port)) {
      throw new UserError(
        `container "${cfg.target.name}" does not listen on port ${cfg.port}${ports.length ? ` (it listens on ${ports.join(', ')})` : ' (it listens on no TCP port)'}`,
        {
          exitCode: 2,
          code: 'EPORT',
          hint: '--port is the port the app listens on inside its container',
        },
      );
    }
  }
  for (;;) {
    try {
      await registry.open();
      break;
    } catch (err) {
      if (first) throw err;
      log(`${(err as Error).message}; retrying in 2 s`);
      await sleep(2000);
    }
  }
  const inst: Instance = {
    service: cfg.service,
    id: instanceId(cfg.host, cfg.target.id, cfg.port),
    address,
    port: cfg.port,
    tags: cfg.tags,
    host: cfg.host,
    container: cfg.target.id,
    containerName: view.name,
    registeredAt: new Date().toISOString(),
  };
  // Stale entries of this host (made before `register` ran, by containers gone by then).
  const live = new Set([...cfg.liveContainers, cfg.target.id]);
  const stale: string[] = [];
  try {
    for (const e of await registry.entries(cfg.service)) {
      if (!isStale(e, { host: cfg.host, id: inst.id, startedAt: cfg.startedAt, liveContainers: live })) continue;
      await registry.remove(e);
      stale.push(e.id);
    }
  } catch (err) {
    events.warning(`stale sweep: ${(err as Error).message}`);
  }
  for (const s of stale) log(`removed stale entry ${s}`);

  const registrar = new Registrar({
    registry,
    check: () => runCheck(cfg.check, cfg.port, Math.min(cfg.intervalMs, 3000)),
    instance: inst,
    intervalMs: cfg.intervalMs,
    ttlMs: cfg.ttlMs,
    onState: (s) => events.progress('state', s),
    warn: (m) => events.warning(m),
  });
  // Events first, so a stop that comes during the first check still drains.
  const watch = followTarget(
    client,
    cfg.target.id,
    (e) => {
      if (e === 'stopping') void registrar.drain();
      else if (e === 'died') void registrar.targetDown();
      else if (e === 'started') restartNow?.();
    },
    // Events missed while the stream was down: is it still running?
    () =>
      void inspectTarget(client, cfg.target.id).then(
        async (v) => {
          if (!v.running) await registrar.targetDown();
        },
        () => undefined,
      ),
  );
  stopWatching.push(watch.stop);
  // Nothing is published before the event stream is open: a stop right after must be seen to drain.
  const timeout = new Promise<void>((r) => setTimeout(r, 10_000).unref());
  await Promise.race([watch.connected, timeout]);
  // A start or a stop that came before the stream opened: look again.
  view = await inspectTarget(client, cfg.target.id).catch(() => view);
  if (!view.running) await registrar.targetDown();
  await registrar.start();
  events.progress('ready', { ...registrar.state(), stale });
  if (first) await writeFile(marker, new Date().toISOString()).catch(() => undefined);
  const report = setInterval(() => events.progress('state', registrar.state()), 5000);
  const why = await Promise.race([restarted, signal()]);
  clearInterval(report);
  stopWatching.forEach((s) => s());
  if (why === 'target-started') {
    // Withdrawn already (it stopped first); the new namespace needs a new sidecar process.
    log('target started again: exiting so the engine restarts this sidecar in its new network namespace');
    registrar.halt();
    return exitNow(0);
  }
  log(`got ${why}: withdrawing`);
  await registrar.stop();
  events.progress('state', registrar.state());
  await registry.close();
  return exitNow(0);
}

function signal(): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
}
