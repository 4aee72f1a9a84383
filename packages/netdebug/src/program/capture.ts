/**
 * `netdebug.mjs capture`: live capture with libpcap (through the `pcap` library) inside the target's
 * network namespace. Needs only NET_RAW (and NET_ADMIN for promiscuous mode): unlike tcpdump, it
 * does not switch users after opening the device. Writes a standard pcap to a file (flushed after
 * every batch the kernel hands over, and completely on stop) and/or to stdout, decodes packets for
 * the summary, or prints one line per packet. Stops on count, duration, SIGINT/SIGTERM, or when the
 * CLI goes away (EOF on stdin with --stop-on-eof). Always reports libpcap's received/dropped counts.
 */
import { closeSync, openSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { UserError, type WriteFailure } from '@dockside/common';
import { EventWriter, OutputError, watchOutput, writeAllSync } from '@dockside/sidecar-kit';
import type { CaptureDone, CaptureProgress, StopReason } from '../events.js';
import { LINKTYPES, pcapGlobalHeader } from '../pcap-file.js';
import { loadPcap, type PcapSessionLike } from '../pcap-lib.js';
import type { CaptureStats } from '../render.js';
import { CaptureSummarizer } from '../summary.js';
import { packetLine } from './packet-line.js';

function classifyOpenError(err: Error, iface: string, filter: string): UserError {
  const msg = err.message.trim();
  if (/permission|not permitted/i.test(msg)) {
    return new UserError(`capturing on ${iface} was refused: the sidecar lacks the NET_RAW capability (${msg})`, {
      exitCode: 77,
      hint: 'dockside adds NET_RAW and NET_ADMIN; an engine policy (user namespaces, seccomp, AppArmor) may be removing them',
      code: 'ECAP',
    });
  }
  if (/no such device|doesn't exist|not found|SIOCGIF/i.test(msg)) {
    return new UserError(`no interface "${iface}" in the container's network namespace (${msg})`, {
      exitCode: 2,
      hint: 'list them with `dockside debug <container> -- ip -brief link`, or use --interface any',
      code: 'ENOIFACE',
    });
  }
  if (filter && /syntax|parse|expression|illegal|unknown|can't|invalid|error/i.test(msg)) {
    return new UserError(`bad capture filter "${filter}": ${msg}`, {
      exitCode: 2,
      hint: 'see `man pcap-filter` for the syntax, e.g. "tcp port 80 and host 10.0.0.5"',
      code: 'EFILTER',
    });
  }
  return new UserError(`cannot capture on ${iface}: ${msg}`, {
    exitCode: 1,
    code: 'ECAPTURE',
    hint: 'try --interface any; `dockside debug <container> -- ip -brief link` lists the interfaces',
  });
}

/**
 * The subcommand. Progress and the result go out as protocol events; a typed error thrown here is
 * reported by runProgram as the protocol's `error` event (the CLI prints it as one line).
 */
export async function captureCommand(argv: string[]): Promise<number> {
  const events = new EventWriter<CaptureProgress, CaptureDone>(process.stderr);
  const { values } = parseArgs({
    args: argv,
    options: {
      interface: { type: 'string', default: 'any' },
      filter: { type: 'string', default: '' },
      snaplen: { type: 'string', default: '262144' },
      count: { type: 'string', default: '0' },
      duration: { type: 'string', default: '0' },
      out: { type: 'string' },
      summary: { type: 'boolean', default: false },
      text: { type: 'boolean', default: false },
      interval: { type: 'string', default: '0' },
      limit: { type: 'string', default: '20' },
      buffer: { type: 'string', default: String(32 * 1024 * 1024) },
      'stop-on-eof': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const iface = values.interface;
  const filter = values.filter;
  const snaplen = Number(values.snaplen);
  const count = Number(values.count);
  const durationMs = Number(values.duration);
  const intervalMs = Number(values.interval);

  const lib = loadPcap();
  let session: PcapSessionLike;
  try {
    session = lib.createSession(iface, { filter, snap_length: snaplen, buffer_size: Number(values.buffer), buffer_timeout: 50, promiscuous: iface !== 'any' });
  } catch (err) {
    throw classifyOpenError(err as Error, iface, filter);
  }
  const linkName = session.link_type;
  const linkType = LINKTYPES[linkName] ?? Number(/(\d+)/.exec(linkName)?.[1] ?? 1);

  let fd: number | undefined;
  if (values.out && values.out !== '-') {
    try {
      fd = openSync(values.out, 'w');
    } catch (err) {
      session.close();
      throw new UserError(`cannot write the capture file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
        exitCode: 2,
        code: 'EOUTPUT',
        hint: 'check that the file on the host is writable (dockside creates it before the capture starts)',
      });
    }
  }
  const toStdout = values.out === '-';
  const header = pcapGlobalHeader(linkType, snaplen);
  let bytesWritten = 0;
  // The first write failure (a full disk; stdout's EPIPE is the CLI going away) ends the capture.
  let outputFailure: WriteFailure | undefined;
  const writeFile = (chunk: Buffer): boolean => {
    if (fd === undefined || outputFailure) return false;
    try {
      bytesWritten += writeAllSync(fd, chunk, 'the capture file');
      return true;
    } catch (err) {
      if (!(err instanceof OutputError)) throw err;
      outputFailure = err.failure;
      stop('output-failed');
      return false;
    }
  };
  if (toStdout) {
    process.stdout.write(header);
    bytesWritten += header.length;
  }

  const summarizer = values.summary ? new CaptureSummarizer(lib, { limit: Number(values.limit) }) : undefined;
  let captured = 0;
  let stopping = false;
  let pending: Buffer[] = [];
  let flushQueued = false;
  const flush = () => {
    flushQueued = false;
    if (fd === undefined || pending.length === 0) return;
    const chunk = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending);
    pending = [];
    writeFile(chunk);
  };

  const stats = (): CaptureStats => {
    let s = { ps_recv: 0, ps_drop: 0, ps_ifdrop: 0 };
    try {
      s = session.stats();
    } catch {
      /* closed */
    }
    return { received: s.ps_recv, captured, dropped: s.ps_drop, ifDropped: s.ps_ifdrop };
  };

  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));

  const stop = (why: StopReason) => {
    if (stopping) return;
    stopping = true;
    // Leave the libpcap dispatch loop before closing the handle.
    setImmediate(() => {
      const st = stats();
      session.close();
      flush();
      if (fd !== undefined) {
        try {
          closeSync(fd);
        } catch {
          /* what could not be written is reported below */
        }
      }
      events.result({
        stats: st,
        stoppedBy: why,
        bytesWritten,
        ...(summarizer ? { summary: summarizer.snapshot() } : {}),
        ...(outputFailure ? { outputFailure } : {}),
      });
      const finish = () => resolveDone(0);
      if (toStdout || values.text) process.stdout.write('', finish);
      else finish();
    });
  };

  session.on('packet', (p) => {
    if (stopping) return;
    const caplen = p.header.readUInt32LE(8);
    captured++;
    if (fd !== undefined || toStdout) {
      const rec = Buffer.allocUnsafe(16 + caplen);
      p.header.copy(rec, 0, 0, 16);
      p.buf.copy(rec, 16, 0, caplen);
      if (fd !== undefined) {
        pending.push(rec);
        if (!flushQueued) {
          flushQueued = true;
          setImmediate(flush);
        }
      }
      if (toStdout) {
        process.stdout.write(rec);
        bytesWritten += rec.length;
      }
    }
    if (summarizer) summarizer.add(linkName, p.header, p.buf);
    if (values.text) {
      process.stdout.write(`${packetLine(lib, linkName, p.header, p.buf)}\n`);
    }
    if (count > 0 && captured >= count) stop('count');
  });

  events.progress('listening', { interface: iface, linkType, linkTypeName: linkName, snaplen, filter });
  // After 'listening' (and after stop() exists): a file on a full disk may fail at its header.
  writeFile(header);
  if (durationMs > 0) setTimeout(() => stop('duration'), durationMs).unref();
  let ticker: NodeJS.Timeout | undefined;
  if (intervalMs > 0) {
    ticker = setInterval(() => {
      if (stopping) return;
      if (summarizer) events.progress('summary', { summary: summarizer.snapshot(), stats: stats() });
      else events.progress('stats', { stats: stats(), bytesWritten });
    }, intervalMs);
    ticker.unref();
  }
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => stop('signal'));
  watchOutput(process.stdout, (f) => {
    if (f.kind !== 'closed') outputFailure = f;
    stop(f.kind === 'closed' ? 'client-gone' : 'output-failed');
  });
  if (values['stop-on-eof']) {
    process.stdin.on('end', () => stop('client-gone'));
    process.stdin.on('close', () => stop('client-gone'));
    process.stdin.on('error', () => stop('client-gone'));
    process.stdin.resume();
  }
  const code = await done;
  if (ticker) clearInterval(ticker);
  // The libpcap poll handle and stdin would keep the loop alive.
  process.exit(code);
}
