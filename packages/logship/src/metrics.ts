/**
 * /metrics of the shipper, in the Prometheus text format with the exporter's conventions
 * (`_total` counters, `_seconds` gauges, `id` = /docker/<id> and `name` labels). Pure rendering
 * plus a tiny server (/metrics, /healthz).
 */
import { createServer, type Server } from 'node:http';
import type { StatusSnapshot } from './stats.js';

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export function renderShipMetrics(s: StatusSnapshot): string {
  const out: string[] = [];
  const fam = (name: string, type: 'counter' | 'gauge', help: string, rows: Array<[string, number]>) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of rows) out.push(`${name}${labels} ${v}`);
  };
  const per = (f: (t: StatusSnapshot['targets'][number]) => number): Array<[string, number]> => s.targets.map((t) => [`{id="/docker/${esc(t.id)}",name="${esc(t.name)}"}`, f(t)]);
  fam(
    'dockside_logship_lines_total',
    'counter',
    'Lines shipped and acknowledged by the destination.',
    per((t) => t.lines),
  );
  fam(
    'dockside_logship_bytes_total',
    'counter',
    'Message bytes shipped and acknowledged.',
    per((t) => t.bytes),
  );
  fam(
    'dockside_logship_lag_seconds',
    'gauge',
    'Time between the newest line read and the newest line shipped.',
    per((t) => t.lagSeconds ?? 0),
  );
  fam(
    'dockside_logship_gaps_total',
    'counter',
    'Ranges of lines rotated away before they could be shipped.',
    per((t) => t.gaps),
  );
  fam(
    'dockside_logship_errors_total',
    'counter',
    'Read errors and lines refused by the destination.',
    per((t) => t.errors),
  );
  fam('dockside_logship_retries_total', 'counter', 'Deliveries retried after a destination error.', [['', s.sinkStats.retries]]);
  fam('dockside_logship_queued_lines', 'gauge', 'Lines read and waiting for delivery.', [['', s.queued]]);
  return `${out.join('\n')}\n`;
}

export function serveMetrics(host: string, port: number, snapshot: () => StatusSnapshot): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(renderShipMetrics(snapshot()));
    } else if (req.url === '/healthz') {
      res.writeHead(200).end('ok\n');
    } else res.writeHead(404).end();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
