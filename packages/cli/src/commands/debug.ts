import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { DocksideCommand } from '../lib/base-command.js';
import { commandAfterDashes, containerCommandUsage } from '../lib/command-args.js';
import { imageRef, ROLE } from '../lib/images-catalog.js';

export default class Debug extends DocksideCommand {
  static override summary = "Open a tools shell (or run one command) inside a container's network namespace.";
  static override description = `Starts the netdebug image (tcpdump, ngrep, ip, ss, dig, curl, nc, socat, iperf3, nmap, mtr, traceroute, strace, conntrack, ethtool, ps) joined to the container's network namespace, so every tool sees the container's interfaces, routes, sockets and DNS. Works on containers without any shell or tools (distroless, FROM scratch).

With no command: an interactive shell on a TTY (window resizes follow; Ctrl-C goes to the shell). With a command after "--": runs it, prints its output and exits with its exit code.

--pid also joins the PID namespace: the target's processes are visible to ps, strace and ss -p, and its file system is reachable at /proc/1/root (also in $TARGET_ROOT).

Capabilities: NET_RAW, NET_ADMIN, SETUID and SETGID (tcpdump switches to its own user after opening the device), plus SYS_PTRACE with --pid; everything else is dropped. The sidecar is removed when the session ends, however it ends.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> web',
    '<%= config.bin %> <%= command.id %> web -- ss -tlnp',
    '<%= config.bin %> <%= command.id %> web -- dig +short db',
    '<%= config.bin %> <%= command.id %> web --pid -- ls /proc/1/root/etc',
    '<%= config.bin %> <%= command.id %> web --pid -- strace -f -p 1',
    '<%= config.bin %> <%= command.id %> web -- tcpdump -ni eth0 -c 10 port 80',
  ];
  static override usage = containerCommandUsage('[--pid] [--image <value>] [-t] [-i]', true);
  static override args = {
    container: Args.string({ description: 'Target container: name, full id or unique id prefix (one).', required: true }),
    command: Args.string({ description: 'After --: the command to run and its arguments (default: an interactive shell).', multiple: true }),
  };
  static override flags = {
    pid: Flags.boolean({ description: "Also join the container's PID namespace (processes, /proc/1/root, strace).", env: 'DOCKSIDE_DEBUG_PID', default: false }),
    image: Flags.string({ description: 'Run this image instead of dockside/netdebug (it must contain the command, or /bin/sh for the shell).', env: 'DOCKSIDE_DEBUG_IMAGE' }),
    tty: Flags.boolean({
      char: 't',
      description: 'Allocate a TTY for the command (default: only for the shell, when stdin is a terminal).',
      env: 'DOCKSIDE_DEBUG_TTY',
      allowNo: true,
    }),
    interactive: Flags.boolean({ char: 'i', description: 'Keep stdin attached to the command (default: only for the shell).', env: 'DOCKSIDE_DEBUG_INTERACTIVE', default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Debug);
    const command = commandAfterDashes(this.argv, [args.container, ...(args.command ?? [])], 'dockside debug CONTAINER -- COMMAND');
    const shell = command.length === 0;
    const { runDebug } = await import('@dockside/netdebug');
    const { exitCode } = await runDebug(await this.engine(), {
      container: args.container,
      image: flags.image ?? imageRef(ROLE.netdebug, this.config.version),
      version: this.config.version,
      session: this.session,
      pid: flags.pid,
      command,
      tty: flags.tty ?? (shell && process.stdin.isTTY === true && process.stdout.isTTY === true),
      interactive: flags.interactive || shell,
      stdin: process.stdin,
      stdout: process.stdout,
      stderr: process.stderr,
    });
    process.exitCode = exitCode;
  }
}
