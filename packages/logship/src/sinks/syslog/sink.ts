/**
 * syslog+tcp://, syslog+tls:// (RFC 5424 in RFC 6587 octet-counting frames on one connection) and
 * syslog+udp:// (one datagram per message). A TCP batch counts as acknowledged once the kernel took
 * all its bytes (syslog has no application acknowledgement), so after a kill at most the last batch
 * repeats. A broken connection is opened again on the next send.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect as netConnect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { connect as tlsConnect } from 'node:tls';
import { UserError } from '@dockside/common';
import type { ShipRecord } from '../../record.js';
import { RetryableSinkError, type Sink } from '../sink.js';
import { octetFrame, rfc5424 } from './format.js';

export interface SyslogOptions {
  transport: 'tcp' | 'udp' | 'tls';
  host: string;
  port: number;
  insecure: boolean;
  /** HOSTNAME field (default: this host's name). */
  hostname?: string;
  ca?: string;
}

const UDP_MAX = 65_000;

export class SyslogSink implements Sink {
  readonly kind: string;
  private sock: Socket | undefined;
  private udp: UdpSocket | undefined;
  private readonly host: string;

  constructor(private readonly o: SyslogOptions) {
    this.kind = `syslog+${o.transport}`;
    this.host = o.hostname ?? hostname();
  }

  async open(): Promise<void> {
    if (this.o.transport === 'udp') {
      this.udp = createSocket(this.o.host.includes(':') ? 'udp6' : 'udp4');
      await new Promise<void>((resolve, reject) => {
        this.udp?.once('error', reject);
        this.udp?.connect(this.o.port, this.o.host, () => resolve());
      }).catch((err: Error) => {
        throw new UserError(`cannot reach the syslog receiver ${this.o.host}:${this.o.port}/udp: ${err.message}`, { code: 'ESINK' });
      });
      return;
    }
    try {
      await this.connect();
    } catch (err) {
      throw new UserError(`cannot reach the syslog receiver ${this.kind}://${this.o.host}:${this.o.port}: ${(err as Error).message}`, {
        code: 'ESINK',
        hint: "check that it listens there; a receiver on the host's loopback needs --network host",
      });
    }
  }

  private connect(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const onErr = (e: Error) => reject(e);
      const s =
        this.o.transport === 'tls'
          ? tlsConnect({ host: this.o.host, port: this.o.port, servername: this.o.host, rejectUnauthorized: !this.o.insecure, ...(this.o.ca ? { ca: this.o.ca } : {}) }, () =>
              done(),
            )
          : netConnect({ host: this.o.host, port: this.o.port }, () => done());
      const done = () => {
        s.off('error', onErr);
        s.on('error', () => undefined);
        s.on('close', () => {
          if (this.sock === s) this.sock = undefined;
        });
        s.setKeepAlive(true, 10_000);
        this.sock = s;
        resolve(s);
      };
      s.once('error', onErr);
      s.setTimeout(10_000, () => s.destroy(new RetryableSinkError('connect timed out')));
    });
  }

  async send(records: ShipRecord[]): Promise<unknown> {
    if (this.o.transport === 'udp') {
      for (const r of records) {
        let m = rfc5424(r, this.host);
        if (m.length > UDP_MAX) m = m.subarray(0, UDP_MAX);
        await new Promise<void>((resolve, reject) => this.udp?.send(m, (err) => (err ? reject(err) : resolve())));
      }
      return undefined;
    }
    const s = this.sock && !this.sock.destroyed ? this.sock : await this.connect();
    s.setTimeout(0);
    const buf = Buffer.concat(records.map((r) => octetFrame(rfc5424(r, this.host))));
    await new Promise<void>((resolve, reject) => {
      const onClose = () => reject(new RetryableSinkError('syslog connection closed'));
      s.once('close', onClose);
      s.write(buf, (err) => {
        s.off('close', onClose);
        if (err) {
          s.destroy();
          reject(err);
        } else resolve();
      });
    });
    return undefined;
  }

  async close(): Promise<void> {
    this.sock?.end();
    this.udp?.close();
  }
}
