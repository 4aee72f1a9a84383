import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { DocksideCommand, jsonFlag } from '../lib/base-command.js';
import { durationFlag, durationText } from '../lib/flags.js';
import { imageRef, ROLE } from '../lib/images-catalog.js';

export default class Capture extends DocksideCommand {
  static override summary = "Capture packets inside a container's network namespace: to a pcap file, to stdout, or as a decoded summary.";
  static override description = `Runs libpcap in the netdebug sidecar, joined to the container's network namespace with only NET_RAW and NET_ADMIN. Stops after --duration, after --count packets, or on Ctrl-C, and always reports how many packets were captured, received by the filter and dropped by the kernel.

-w FILE writes a standard pcap on the host (Wireshark, tshark, tcpdump -r read it); the sidecar writes it directly and flushes it as packets arrive, so even an interrupted capture leaves a readable file. -w - streams the pcap byte-exact to stdout (no TTY), e.g. into "wireshark -k -i -". Without -w or --summary, one line per packet is printed.

--summary decodes the packets: conversations (endpoints, protocol, packets, bytes, duration), top talkers, DNS queries with answers and response codes, HTTP/1.x requests with method, host, path and status, TCP resets and retransmissions, ICMP errors. On a terminal it refreshes live; otherwise (or with --json) it is printed once at the end.

--read FILE summarizes an existing pcap or pcapng file instead of capturing.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> web --filter "tcp port 80" --duration 30s -w web.pcap',
    '<%= config.bin %> <%= command.id %> web -w - | wireshark -k -i -',
    '<%= config.bin %> <%= command.id %> web --summary --duration 10s',
    '<%= config.bin %> <%= command.id %> web --filter "udp port 53" --count 20 --summary --json',
    '<%= config.bin %> <%= command.id %> --read web.pcap --summary',
  ];
  // oclif would draw -r's exclusions as one group (`-r | -w | -d | -c | -i`), as if -w, -d, -c and -i excluded each other.
  static override usage = [
    '<%= command.id %> CONTAINER [-f <filter>] [-d <duration>] [-c <count>] [-i <interface>] [-s <snaplen>] [-w <file>|-] [--summary [--limit <n>]] [--json]',
    '<%= command.id %> -r <file> [-f <filter>] [--summary] [--limit <n>] [--json]',
  ];
  static override args = { container: Args.string({ description: 'Target container: name, full id or unique id prefix (not with --read).', required: false }) };
  static override flags = {
    filter: Flags.string({ char: 'f', description: 'BPF capture filter, as tcpdump takes it (e.g. "tcp port 80 and host 10.0.0.5").', env: 'DOCKSIDE_CAPTURE_FILTER' }),
    duration: durationFlag({
      char: 'd',
      description: 'Stop after this long (e.g. 30s, 5m). Default: until Ctrl-C or --count.',
      env: 'DOCKSIDE_CAPTURE_DURATION',
      omitted: 'leave it out to capture until Ctrl-C or --count',
    }),
    count: Flags.integer({ char: 'c', description: 'Stop after this many packets.', min: 1, env: 'DOCKSIDE_CAPTURE_COUNT' }),
    snaplen: Flags.integer({ char: 's', description: 'Bytes captured per packet.', min: 64, max: 262144, default: 262144, env: 'DOCKSIDE_CAPTURE_SNAPLEN' }),
    interface: Flags.string({ char: 'i', description: 'Interface inside the container ("any" for all, "eth0", "lo").', default: 'any', env: 'DOCKSIDE_CAPTURE_INTERFACE' }),
    write: Flags.string({ char: 'w', description: 'Write a pcap file on the host, or "-" for stdout.', env: 'DOCKSIDE_CAPTURE_WRITE' }),
    summary: Flags.boolean({ description: 'Decode the packets and print a summary (live on a terminal).', default: false, env: 'DOCKSIDE_CAPTURE_SUMMARY' }),
    read: Flags.string({
      char: 'r',
      description: 'Summarize this pcap/pcapng file instead of capturing.',
      env: 'DOCKSIDE_CAPTURE_READ',
      exclusive: ['write', 'duration', 'count', 'interface'],
    }),
    limit: Flags.integer({ description: 'Conversations and talkers shown in the summary.', min: 1, max: 100000, default: 20, env: 'DOCKSIDE_CAPTURE_LIMIT' }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Capture);
    const { EXIT, UsageError } = await import('@dockside/common');
    const nd = await import('@dockside/netdebug');
    if (flags.read) {
      if (args.container) throw new UsageError('give either a container to capture from or --read FILE, not both');
      const tty = process.stderr.isTTY === true;
      const t0 = Date.now();
      const summary = await nd.summarizeFile({
        path: flags.read,
        limit: flags.limit,
        ...(flags.filter ? { filter: flags.filter } : {}),
        // The file is read in one synchronous pass: progress goes straight to the terminal.
        ...(tty
          ? { onProgress: (done: number, total: number, n: number) => process.stderr.write(`\r${nd.readProgressLine(flags.read as string, done, total, n, Date.now() - t0)}   `) }
          : {}),
      });
      if (tty && Date.now() - t0 > 500) process.stderr.write('\r\x1b[K');
      if (flags.json) return this.printJson({ file: flags.read, summary });
      return this.log(nd.renderSummary(summary));
    }
    if (!args.container) throw new UsageError('name the container to capture from', { hint: 'e.g. `dockside capture web -w web.pcap`, or `dockside capture --read web.pcap`' });
    if (flags.json && !flags.summary && !flags.write)
      throw new UsageError('--json needs --summary or -w FILE: packet lines are not JSON', {
        hint: 'add --summary for the decoded report as JSON, or -w capture.pcap for the packets (the JSON report names the file)',
      });
    if (flags.json && flags.write === '-')
      throw new UsageError('--json and -w - both want stdout', { hint: 'drop --json (the report goes to stderr), or write a file with -w capture.pcap' });
    const durationMs = flags.duration;

    const err = process.stderr;
    const live = flags.summary && !flags.json && flags.write !== '-' && process.stdout.isTTY === true;
    // Writing a file on a terminal: a refreshed count on stderr.
    const progress = !flags.summary && !!flags.write && flags.write !== '-' && process.stderr.isTTY === true;
    const reportTo = flags.write === '-' ? err : process.stdout;
    const result = await nd.runCapture(await this.engine(), {
      container: args.container,
      image: imageRef(ROLE.netdebug, this.config.version),
      version: this.config.version,
      session: this.session,
      interface: flags.interface,
      snaplen: flags.snaplen,
      summary: flags.summary,
      limit: flags.limit,
      stdout: process.stdout,
      stderr: err,
      ...(flags.filter ? { filter: flags.filter } : {}),
      ...(flags.count ? { count: flags.count } : {}),
      ...(durationMs ? { durationMs } : {}),
      ...(flags.write ? { write: flags.write } : {}),
      ...(live || progress ? { progressIntervalMs: 1000 } : {}),
      onListening: (e, target) => {
        const until = [durationMs ? `for ${durationText(durationMs)}` : '', flags.count ? `up to ${flags.count} packets` : ''].filter(Boolean).join(', ');
        err.write(`capturing on ${e.interface} in ${target}${e.filter ? ` (filter: ${e.filter})` : ''}${until ? ` ${until}` : ''}; Ctrl-C to stop\n`);
      },
      onTargetExited: (name) => err.write(`${progress ? '\r\x1b[K' : ''}container ${name} exited: stopping the capture\n`),
      onStats: (stats, written) => {
        err.write(`\r${nd.liveStatsLine(stats, written)}   `);
      },
      onSummary: (s, stats) => {
        process.stdout.write(`\x1b[H\x1b[2J${nd.renderSummary(s)}\n\n${nd.renderStats(stats)} (live)\n`);
      },
    });
    if (flags.json) this.printJson(result);
    else {
      if (result.summary) reportTo.write(`${live ? '\x1b[H\x1b[2J' : ''}${nd.renderSummary(result.summary)}\n\n`);
      err.write(`${progress ? '\r\x1b[K' : ''}${nd.renderStats(result.stats)}${result.file && result.file !== '-' && !result.outputFailure ? `; wrote ${result.file}` : ''}\n`);
    }
    // The counts are out: now the failure that ended it (a full disk), as one line, exit 1.
    if (result.outputFailure) throw nd.outputFailureError(flags.write === '-' || !flags.write ? 'stdout' : flags.write, result.outputFailure);
    // Stopped by SIGTERM (or SIGHUP) with the report printed: exit as a terminated program does.
    if (result.signal === 'SIGTERM' || result.signal === 'SIGHUP') process.exitCode = EXIT.sigterm;
  }
}
