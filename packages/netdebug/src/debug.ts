/**
 * `dockside debug`: the netdebug image (or another) joined to a target's network namespace, and with
 * --pid its PID namespace, running an interactive shell on a TTY or one command. The sidecar is
 * removed however the session ends (runSidecar). Capabilities: NET_RAW and NET_ADMIN for the network
 * tools, SETUID and SETGID so that tcpdump can switch to its own user as it always does after
 * opening the device, SYS_PTRACE with --pid (strace, /proc/<pid>/root, ss -p).
 */
import { ROLE, UserError } from '@dockside/common';
import { resolveRunningContainer, runSidecar, waitUntilRemoved, type Engine } from '@dockside/engine';

export interface DebugOptions {
  container: string;
  image: string;
  version: string;
  session: string;
  /** Join the PID namespace too. */
  pid: boolean;
  /** The command; empty: an interactive shell. */
  command: string[];
  /** Allocate a TTY (default: for the shell, when stdin is a terminal). */
  tty: boolean;
  /** Attach stdin. */
  interactive: boolean;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

/** Said (on stderr) before joining a paused target: allowed, but it will look dead until unpaused. */
export function pausedNote(name: string): string {
  return `note: container "${name}" is paused: its network is joined, but its own processes are frozen (no answers, no traffic of its own) until \`docker unpause ${name}\`\n`;
}

export const SHELL = ['/bin/sh', '-c', 'if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi'];

export function debugCapabilities(pid: boolean): string[] {
  return ['NET_RAW', 'NET_ADMIN', 'SETUID', 'SETGID', ...(pid ? ['SYS_PTRACE'] : [])];
}

export async function runDebug(engine: Engine, opts: DebugOptions): Promise<{ exitCode: number; target: string }> {
  const target = await resolveRunningContainer(engine, opts.container);
  // A paused container's network namespace is there to join; only its own processes are frozen.
  if (target.paused) opts.stderr.write(pausedNote(target.name));
  const env: Record<string, string> = { debian_chroot: `dockside:${target.name}` };
  if (opts.tty) env['TERM'] = process.env['TERM'] || 'xterm';
  if (opts.pid) env['TARGET_ROOT'] = '/proc/1/root';

  const raw = opts.tty && opts.stdin.isTTY;
  if (raw) opts.stdin.setRawMode(true);
  let id: string | undefined;
  try {
    const { exitCode, removed } = await runSidecar(
      engine,
      {
        role: ROLE.netdebug,
        image: opts.image,
        version: opts.version,
        session: opts.session,
        target,
        join: { network: true, pid: opts.pid },
        capAdd: debugCapabilities(opts.pid),
        entrypoint: opts.command.length ? opts.command : SHELL,
        cmd: [],
        env,
        tty: opts.tty,
        stdin: opts.interactive,
        workingDir: '/',
      },
      { stdout: opts.stdout, stderr: opts.stderr, onStarted: (started) => (id = started), ...(opts.interactive ? { stdin: opts.stdin } : {}) },
    );
    if (removed) id = undefined; // the engine has removed it already
    return { exitCode, target: target.name };
  } finally {
    // The engine removes the sidecar just after it exits: return once it is really gone.
    if (id) await waitUntilRemoved(engine, id);
    if (raw) {
      opts.stdin.setRawMode(false);
      opts.stdin.pause();
    }
  }
}
