/** A sink from its parsed URL; network sinks are checked for reachability by `open`. */
import { connect } from 'node:net';
import { TimeoutError, UserError } from '@dockside/common';
import { FileSink } from './file/sink.js';
import { HttpSink } from './http/sink.js';
import { LokiSink } from './loki/sink.js';
import type { Sink } from './sink.js';
import { SyslogSink } from './syslog/sink.js';
import { sinkAddress, type SinkConfig } from './url.js';

export function createSink(cfg: SinkConfig): Sink {
  switch (cfg.kind) {
    case 'file':
      return new FileSink(cfg.dir);
    case 'syslog':
      return new SyslogSink(cfg);
    case 'http':
      return new HttpSink(cfg.url);
    case 'loki':
      return new LokiSink(cfg.url);
  }
}

/** A TCP connect to an http, loki or syslog (tcp, tls) receiver, so an unreachable one is reported at start. */
export async function checkReachable(cfg: SinkConfig, timeoutMs = 5000): Promise<void> {
  if (cfg.kind === 'file' || (cfg.kind === 'syslog' && cfg.transport === 'udp')) return;
  const a = sinkAddress(cfg);
  if (!a) return;
  await new Promise<void>((resolve, reject) => {
    const s = connect({ host: a.host, port: a.port });
    s.setTimeout(timeoutMs, () => s.destroy(new TimeoutError('timed out')));
    s.once('connect', () => {
      s.destroy();
      resolve();
    });
    s.once('error', (e) =>
      reject(
        new UserError(`cannot reach the ${cfg.kind} receiver ${a.host}:${a.port}: ${e.message}`, {
          code: 'ESINK',
          hint: "check that it listens there; a receiver on the host's loopback needs --network host",
        }),
      ),
    );
  });
}
