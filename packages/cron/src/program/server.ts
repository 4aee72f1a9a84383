/**
 * The scheduler's HTTP endpoint, on the container's loopback only (127.0.0.1): /healthz (the loop
 * ticked lately), /metrics, and POST /run?job=<id>[&force=1] for `dockside cron run`, which
 * answers NDJSON: {"out": text} lines while the run goes, then {"result": {...}}. A reader slower
 * than the job's output gets what fits: the rest is dropped (and said so), never queued here; the
 * history keeps the output's tail either way.
 */
import { createServer, type Server } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { renderCronMetrics } from './metrics.js';
import type { Scheduler } from './scheduler.js';

export const CONTROL_PORT = 9325;
const STALE_MS = 15_000;

export function startControlServer(scheduler: Scheduler, port: number, now: () => number): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/healthz') {
      const age = now() - scheduler.tickedAt;
      const ok = age < STALE_MS;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : `loop stalled for ${age} ms\n`);
      return;
    }
    if (req.method === 'GET' && url.pathname === '/metrics') {
      const running = new Map<string, number>();
      for (const r of scheduler.running()) running.set(r.job, (running.get(r.job) ?? 0) + 1);
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(renderCronMetrics(scheduler.entries(), scheduler.history, running));
      return;
    }
    if (req.method === 'POST' && url.pathname === '/run') {
      const id = url.searchParams.get('job') ?? '';
      const force = url.searchParams.get('force') === '1';
      const entry = scheduler.entries().find((e) => e.id === id);
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      const send = (o: object): boolean => res.write(`${JSON.stringify(o)}\n`);
      if (!entry) {
        send({ result: { error: `no job "${id}"`, known: scheduler.entries().map((e) => e.id) } });
        return void res.end();
      }
      if (!entry.valid) {
        send({ result: { error: `job "${id}" is invalid: ${entry.field}: ${entry.reason}` } });
        return void res.end();
      }
      const r = scheduler.fire(entry, null, 'manual', force);
      if ('skipped' in r) {
        send({ result: { status: 'skipped', error: r.skipped } });
        return void res.end();
      }
      const decoder = new StringDecoder('utf8');
      let dropped = 0;
      let full = false;
      res.on('drain', () => {
        full = false;
        if (dropped) send({ out: `\n[dockside: ${dropped} bytes of output dropped here (the reader was slower); \`dockside cron history\` keeps the tail]\n` });
        dropped = 0;
      });
      r.output.on('data', (c: Buffer) => {
        const text = decoder.write(c);
        if (!text) return;
        if (full) dropped += c.length;
        else full = !send({ out: text });
      });
      void r.done.then((result) => {
        send({ result: { run: r.runId, ...result } });
        res.end();
      });
      return;
    }
    res.writeHead(404).end();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
