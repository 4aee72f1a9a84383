/** `dockside capture --read`: the summary of a pcap or pcapng file, read on the host with libpcap. */
import { closeSync, openSync, readSync } from 'node:fs';
import { access, constants, stat } from 'node:fs/promises';
import { NotFoundError, UserError } from '@dockside/common';
import { cutShortWarning, pcapCutShort } from './pcap-file.js';
import { loadPcap } from './pcap-lib.js';
import { CaptureSummarizer, type CaptureSummary, type SummaryOptions } from './summary.js';

export interface ReadOptions extends SummaryOptions {
  path: string;
  /** Optional BPF filter applied while reading. */
  filter?: string;
  /** Called every `progressEvery` packets with the approximate bytes read and the file size. */
  onProgress?: (bytesRead: number, totalBytes: number, packets: number) => void;
  progressEvery?: number;
}

export async function summarizeFile(opts: ReadOptions): Promise<CaptureSummary> {
  const st = await stat(opts.path).catch(() => undefined);
  if (!st) throw new NotFoundError(`no file ${opts.path}`, { hint: 'give the path of a pcap or pcapng file' });
  if (!st.isFile()) throw new UserError(`${opts.path} is not a file`, { exitCode: 2, hint: 'give the path of a pcap or pcapng file' });
  await access(opts.path, constants.R_OK).catch(() => {
    throw new UserError(`cannot read ${opts.path}: permission denied`, { exitCode: 2, hint: 'make the file readable by you (chmod a+r), or copy it somewhere you can read' });
  });
  const lib = loadPcap();
  let session;
  try {
    session = lib.createOfflineSession(opts.path, opts.filter ? { filter: opts.filter } : {});
  } catch (err) {
    const msg = (err as Error).message;
    if (opts.filter && /syntax|filter|expression|parse|unknown|illegal/i.test(msg)) {
      throw new UserError(`bad capture filter "${opts.filter}": ${msg}`, { exitCode: 2, hint: 'see `man pcap-filter` for the filter syntax' });
    }
    throw new UserError(`cannot read ${opts.path} as a capture file: ${msg}`, {
      exitCode: 2,
      hint: 'give a pcap or pcapng file, e.g. one written by `dockside capture -w` or tcpdump',
    });
  }
  const summarizer = new CaptureSummarizer(lib, opts);
  const s = session;
  const every = opts.progressEvery ?? 100_000;
  let packets = 0;
  let bytesRead = 24;
  return new Promise<CaptureSummary>((resolve, reject) => {
    s.on('packet', (p) => {
      try {
        summarizer.add(p.link_type, p.header, p.buf);
        packets++;
        bytesRead += 16 + p.header.readUInt32LE(8);
        if (opts.onProgress && packets % every === 0) opts.onProgress(Math.min(bytesRead, st.size), st.size, packets);
      } catch (err) {
        reject(err as Error);
      }
    });
    s.on('complete', () => {
      s.close();
      const summary = summarizer.snapshot();
      // libpcap stops at a record cut off mid-way without saying so: say it, as tshark does.
      if (cutShort(opts.path, st.size)) summary.warnings = [...(summary.warnings ?? []), cutShortWarning(opts.path)];
      resolve(summary);
    });
  });
}

function cutShort(path: string, size: number): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    return pcapCutShort(fd, size, (f, buf, pos) => readSync(f, buf, 0, buf.length, pos));
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
