/**
 * `ambassador --config FILE`: in the app's network namespace, listens on loopback and forwards each
 * TCP connection to a healthy instance of the upstream service, as the registry lists it now (read
 * every refresh interval, and at once after a connect fails). Connections are spread round-robin;
 * a connect that fails or times out moves on to the next instance (and holds the failed one back a
 * while); an instance the registry withdrew gets no new connection after the next read. Reports
 * `ready` and `status` through the sidecar protocol, and Prometheus figures on /metrics
 * (127.0.0.1:<metricsPort>, inside the app's namespace). Follows the app across restarts as the
 * register sidecar does (target.ts).
 */
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import { readFile } from 'node:fs/promises';
import { TimeoutError, UsageError, UserError } from '@dockside/common';
import { EventWriter, flag } from '@dockside/sidecar-kit';
import type { AmbassadorConfig } from '../config.js';
import type { AmbassadorProgress, AmbassadorStatus } from '../events.js';
import { createRegistry } from '../registry/create.js';
import type { Instance } from '../registry/instance.js';
import { Balancer } from './balancer.js';
import { ChangeDebouncer, runOnChange } from './on-change.js';
import { engineClient, exitNow, followTarget, inspectTarget } from './target.js';

export async function ambassador(args: string[]): Promise<number> {
  const file = flag(args, '--config');
  if (!file) throw new UsageError('ambassador needs --config FILE');
  const cfg = JSON.parse(await readFile(file, 'utf8')) as AmbassadorConfig;
  const events = new EventWriter<AmbassadorProgress>();
  const log = (m: string) => process.stderr.write(`dockside-ambassador: ${m}\n`);
  const client = engineClient();
  const view = await inspectTarget(client, cfg.target.id).catch((err: Error) => {
    throw new UserError(`cannot inspect the target through the api-proxy: ${err.message}`, { code: 'EENGINE' });
  });
  let restart: () => void = () => undefined;
  const restarted = new Promise<string>((r) => (restart = () => r('target-started')));
  const watch = followTarget(
    client,
    cfg.target.id,
    (e) => e === 'started' && restart(),
    () => undefined,
  );
  if (!view.running) {
    log(`target ${view.name} is not running: waiting for it to start`);
    await Promise.race([restarted, signal()]);
    watch.stop();
    return exitNow(0);
  }
  const registry = createRegistry(cfg.registry);
  await registry.open('read');
  const balancer = new Balancer();
  const totals = { accepted: 0, active: 0, failed: 0, retries: 0, refreshErrors: 0 };
  let lastError: string | undefined;
  const status = (): AmbassadorStatus => ({
    upstream: cfg.upstream,
    listen: cfg.listenPort > 0 ? `${cfg.listenHost}:${cfg.listenPort}` : '',
    instances: [...balancer.stats.values()],
    ...totals,
    ...(lastError ? { lastError } : {}),
    ...(changes ? { changes } : {}),
  });
  const changes: AmbassadorStatus['changes'] = cfg.onChange ? { runs: 0, failed: 0 } : undefined;
  const onChange = cfg.onChange;
  const debouncer = onChange
    ? new ChangeDebouncer(onChange.debounceMs, async (set) => {
        const r = await runOnChange(client, cfg.target.id, cfg.upstream, onChange, set);
        if (changes) {
          changes.runs++;
          if (r.error) changes.failed++;
          changes.last = r;
        }
        log(`instances changed (${set.join(', ') || 'none'}): ${r.action}${r.error ? ` failed: ${r.error}` : r.exitCode !== null ? ` exited ${r.exitCode}` : ' sent'}`);
        events.progress('status', status());
      })
    : undefined;
  /** The sorted addr:port of what the registry lists now: the set the action is told about. */
  const healthySet = (list: Instance[]) => list.map((i) => Balancer.key(i)).sort();
  let armed = false;

  let refreshing: Promise<void> | undefined;
  const refresh = (): Promise<void> =>
    (refreshing ??= registry
      .list(cfg.upstream)
      .then(
        (list) => {
          if (!balancer.update(list)) return;
          log(`instances of ${cfg.upstream}: ${list.map((i) => `${i.address}:${i.port}`).join(', ') || 'none'}`);
          // Only changes after start: the first list is the one the app started with.
          if (armed) debouncer?.changed(healthySet(list));
        },
        (err: Error) => {
          totals.refreshErrors++;
          lastError = `registry: ${err.message}`;
        },
      )
      .finally(() => (refreshing = undefined)));
  await refresh();
  armed = true;
  const timer = setInterval(() => void refresh(), cfg.refreshMs);

  const dial = (i: Instance): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const s = connect({ host: i.address, port: i.port });
      s.setTimeout(cfg.connectTimeoutMs, () => s.destroy(new TimeoutError(`connect timed out after ${cfg.connectTimeoutMs} ms`, { code: 'ETIMEDOUT' })));
      s.once('connect', () => {
        s.setTimeout(0);
        resolve(s);
      });
      s.once('error', reject);
    });

  const server = createServer({ pauseOnConnect: true }, (down) => {
    totals.accepted++;
    totals.active++;
    down.on('error', () => undefined);
    down.once('close', () => totals.active--);
    void (async () => {
      for (const [n, inst] of balancer.order().entries()) {
        if (down.destroyed) return;
        if (n > 0) totals.retries++;
        let up: Socket;
        try {
          up = await dial(inst);
        } catch (err) {
          balancer.failed(inst);
          lastError = `${inst.address}:${inst.port}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
          void refresh();
          continue;
        }
        const st = balancer.connected(inst);
        up.setNoDelay(true);
        down.setNoDelay(true);
        up.on('error', () => down.destroy());
        down.on('error', () => up.destroy());
        // Bytes are counted from the socket's own totals when it closes: no per-chunk listener on the hot path.
        up.once('close', () => {
          if (st) {
            st.active--;
            st.bytesIn += up.bytesRead;
            st.bytesOut += up.bytesWritten;
          }
          down.destroy();
        });
        down.once('close', () => up.destroy());
        up.pipe(down);
        down.pipe(up);
        down.resume();
        return;
      }
      totals.failed++;
      down.destroy();
    })();
  });
  // A watch (listenPort 0) only follows the instances for its on-change action.
  if (cfg.listenPort > 0)
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new UserError(`the ambassador cannot listen on ${cfg.listenHost}:${cfg.listenPort} in the container's network: ${err.code ?? err.message}`, {
            exitCode: 2,
            code: 'ELISTEN',
            hint: err.code === 'EADDRINUSE' ? 'something in the container listens there already: pick another --listen port' : 'check --listen',
          }),
        ),
      );
      server.listen(cfg.listenPort, cfg.listenHost, () => resolve());
    });
  const metrics = cfg.metricsPort
    ? createHttpServer((req, res) => {
        if (req.url !== '/metrics') {
          res.statusCode = 404;
          return res.end();
        }
        res.setHeader('content-type', 'text/plain; version=0.0.4');
        res.end(exposition(status()));
      }).listen(cfg.metricsPort, '127.0.0.1')
    : undefined;
  events.progress('ready', status());
  let last = '';
  const report = setInterval(() => {
    const s = status();
    const text = JSON.stringify(s);
    if (text !== last) events.progress('status', s);
    last = text;
  }, 2000);
  const why = await Promise.race([restarted, signal()]);
  clearInterval(timer);
  clearInterval(report);
  watch.stop();
  log(why === 'target-started' ? 'target started again: exiting so the engine restarts this sidecar in its new network namespace' : `got ${why}: stopping`);
  debouncer?.stop();
  if (cfg.listenPort > 0) server.close();
  metrics?.close();
  events.progress('status', status());
  return exitNow(0);
}

export function exposition(s: AmbassadorStatus): string {
  const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  const lines: string[] = [];
  const g = (name: string, help: string, type: 'counter' | 'gauge', rows: Array<[string, number]>) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...rows.map(([l, v]) => `${name}${l} ${v}`));
  };
  const base = `upstream="${esc(s.upstream)}"`;
  g('dockside_ambassador_connections_accepted_total', 'Connections accepted on the listen address.', 'counter', [[`{${base}}`, s.accepted]]);
  g('dockside_ambassador_connections_active', 'Connections open now.', 'gauge', [[`{${base}}`, s.active]]);
  g('dockside_ambassador_connections_failed_total', 'Connections closed because no instance could be reached.', 'counter', [[`{${base}}`, s.failed]]);
  g('dockside_ambassador_retries_total', 'Connects tried on a next instance after one failed.', 'counter', [[`{${base}}`, s.retries]]);
  g('dockside_ambassador_registry_errors_total', 'Failed reads of the registry.', 'counter', [[`{${base}}`, s.refreshErrors]]);
  const per = (f: (i: AmbassadorStatus['instances'][number]) => number) =>
    s.instances.map((i): [string, number] => [`{${base},instance="${esc(`${i.address}:${i.port}`)}"}`, f(i)]);
  g(
    'dockside_ambassador_instance_up',
    'Whether the instance is listed by the registry and its last connect worked.',
    'gauge',
    per((i) => (i.healthy ? 1 : 0)),
  );
  g(
    'dockside_ambassador_instance_connections_total',
    'Connections forwarded to the instance.',
    'counter',
    per((i) => i.connections),
  );
  g(
    'dockside_ambassador_instance_connect_failures_total',
    'Connects to the instance that failed.',
    'counter',
    per((i) => i.failures),
  );
  g(
    'dockside_ambassador_instance_received_bytes_total',
    'Bytes from the instance to the app.',
    'counter',
    per((i) => i.bytesIn),
  );
  g(
    'dockside_ambassador_instance_sent_bytes_total',
    'Bytes from the app to the instance.',
    'counter',
    per((i) => i.bytesOut),
  );
  return `${lines.join('\n')}\n`;
}

function signal(): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
}
