/**
 * Entry point of the cron sidecar image (bundled to images/cron/build/cron.mjs).
 *   serve [--name N] [--state DIR] [--config F.json] [--backup-dir D]... [--backup-image I] [--port P]
 *   ls                     the jobs (result event on stderr)
 *   history [--job J] [--limit N]
 *   run <job> [--force]    a run now, through the serving scheduler; output on stdout
 *   health                 exit 0 when the serving scheduler's loop is alive (the image's HEALTHCHECK)
 * plus `version` and `probe` from sidecar-kit. Results reach the CLI as sidecar protocol events.
 */
import { request } from 'node:http';
import { EXIT, ROLE, UsageError } from '@dockside/common';
import { EventWriter, flag, flags, runProgram } from '@dockside/sidecar-kit';
import { listHistory, listJobs } from './report.js';
import type { HistoryResult, LsResult } from '../events.js';
import { serve } from './serve.js';
import { CONTROL_PORT } from './server.js';

declare const DOCKSIDE_VERSION: string | undefined;
const version = typeof DOCKSIDE_VERSION === 'string' ? DOCKSIDE_VERSION : 'dev';
export const STATE_DIR = '/var/lib/dockside-cron';

const log = (msg: string) => process.stderr.write(`${new Date().toISOString()} dockside-cron: ${msg}\n`);

function post(path: string, onLine: (o: Record<string, unknown>) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: CONTROL_PORT, path, method: 'POST' }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim()) onLine(JSON.parse(line) as Record<string, unknown>);
        }
        // Output goes to the CLI no faster than it reads: the scheduler's server drops what does not fit.
        if (process.stdout.writableNeedDrain && !res.isPaused()) {
          res.pause();
          process.stdout.once('drain', () => res.resume());
        }
      });
      res.on('error', reject);
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end();
  });
}

/** The serving scheduler's /healthz status (200: its loop ticks), or null while nothing answers (it answers once recovery has run). */
function healthz(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', timeout: 3000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? null);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}

/**
 * `ls` and `history` read the volume, but right after a restart the runs the last instance left
 * open are recorded `interrupted` only once `serve` has cleaned them up: the readers wait (up to
 * 15 s) for the scheduler to answer, so they never show a dead run as running.
 */
async function afterRecovery(args: string[]): Promise<void> {
  const port = Number(flag(args, '--port') ?? CONTROL_PORT);
  const until = Date.now() + 15_000;
  while ((await healthz(port)) === null && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
}

await runProgram({
  role: ROLE.cron,
  version,
  defaultCommand: 'probe',
  commands: {
    serve: async (args) => {
      const tick = Number(flag(args, '--tick') ?? 500);
      const config = flag(args, '--config');
      await serve({
        name: flag(args, '--name') ?? 'default',
        stateDir: flag(args, '--state') ?? STATE_DIR,
        ...(config ? { configFile: config } : {}),
        backupDirs: flags(args, '--backup-dir'),
        backupImage: flag(args, '--backup-image') ?? `dockside/backup:${version}`,
        version,
        port: Number(flag(args, '--port') ?? CONTROL_PORT),
        tickMs: Number.isFinite(tick) && tick >= 50 ? tick : 500,
        log,
      });
    },
    ls: async (args) => {
      await afterRecovery(args);
      new EventWriter<Record<string, never>, LsResult>().result(listJobs(flag(args, '--state') ?? STATE_DIR, Date.now()));
    },
    history: async (args) => {
      const limit = Number(flag(args, '--limit') ?? 100);
      await afterRecovery(args);
      new EventWriter<Record<string, never>, HistoryResult>().result({
        runs: listHistory(flag(args, '--state') ?? STATE_DIR, flag(args, '--job'), Number.isInteger(limit) && limit > 0 ? limit : 100),
      });
    },
    run: async (args) => {
      const job = args.find((a) => !a.startsWith('--'));
      if (!job) throw new UsageError('run needs a job id (<container>/<job>)');
      let result: Record<string, unknown> = {};
      await post(`/run?job=${encodeURIComponent(job)}${args.includes('--force') ? '&force=1' : ''}`, (o) => {
        if (typeof o['out'] === 'string') process.stdout.write(o['out']);
        if (o['result']) result = o['result'] as Record<string, unknown>;
      });
      new EventWriter().result(result);
      if (result['error'] && !result['status']) return 2;
      if (result['status'] === 'skipped') return EXIT.skipped;
      return result['status'] === 'succeeded' ? 0 : typeof result['exitCode'] === 'number' && result['exitCode'] !== 0 ? (result['exitCode'] as number) : 1;
    },
    health: async () => ((await healthz(CONTROL_PORT)) === 200 ? 0 : 1),
  },
});
