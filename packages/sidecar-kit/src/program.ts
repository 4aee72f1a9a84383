/**
 * Subcommand dispatch for in-container programs. Every image answers `version`, `probe` and
 * `api-proxy` (the filtering Docker API proxy a long-running sidecar reaches the engine through); a
 * sidecar adds its own subcommands (`probe` answers with a protocol `result` event). A failure is reported through the protocol as one `error` event
 * (message, hint, code, exit code) on stderr, which the CLI turns back into the same user error
 * (`EventReader.failure`); a person running the image by hand on a terminal also gets a plain line.
 */
import { bugMessage, EXIT, formatError, isUserError, UsageError } from '@dockside/common';
import { EventWriter, type EventOutput } from './events.js';
import { apiProxyCommand } from './api-proxy-command.js';
import { watchOutput } from './output.js';
import { probe } from './probe.js';

export type Subcommand = (args: string[]) => Promise<number | void>;

export interface ProgramSpec {
  role: string;
  version: string;
  commands?: Record<string, Subcommand>;
  /** What runs with no subcommand (default: usage). */
  defaultCommand?: string;
}

/** Where a program's events and error lines go (stderr; a test passes its own). */
export interface ProgramOutput extends EventOutput {
  isTTY?: boolean;
}

/** Report a failure: an `error` event, plus a readable line when a person watches a terminal. */
export function reportFailure(err: unknown, spec: Pick<ProgramSpec, 'role' | 'version'>, out: ProgramOutput = process.stderr): number {
  const prog = `dockside-${spec.role}`;
  const exitCode = isUserError(err) ? err.exitCode : EXIT.failure;
  const message = isUserError(err) ? err.message : `${spec.role} sidecar: ${bugMessage(err, spec.version)}`;
  new EventWriter(out).error({
    message,
    hint: isUserError(err) ? err.hint : undefined,
    code: isUserError(err) ? err.code : 'EBUG',
    exitCode,
  });
  if (out.isTTY) out.write(`${formatError(err, { prog, version: spec.version })}\n`);
  if (!isUserError(err) && err instanceof Error && process.env['DEBUG']) out.write(`${err.stack}\n`);
  return exitCode;
}

export async function runProgram(spec: ProgramSpec, argv: string[] = process.argv.slice(2), out: ProgramOutput = process.stderr): Promise<void> {
  const commands: Record<string, Subcommand> = {
    version: async () => {
      process.stdout.write(`${spec.role} ${spec.version}\n`);
    },
    // What the sidecar sees, as the protocol's result event (the CLI's `dockside probe` reads it).
    probe: async () => {
      new EventWriter(out).result(await probe(spec.role, spec.version));
    },
    ...spec.commands,
    'api-proxy': (args) => apiProxyCommand(args, spec.role),
  };
  const [name = spec.defaultCommand ?? 'help', ...rest] = argv;
  const cmd = commands[name];
  const real = out === process.stderr;
  // The protocol's own stream: when the CLI has gone (EPIPE), nobody is left to report to.
  if (real) watchOutput(process.stderr, () => process.exit(EXIT.failure));
  try {
    if (!cmd) throw new UsageError(`unknown subcommand "${name}"; known: ${Object.keys(commands).sort().join(', ')}`);
    const code = await cmd(rest);
    if (typeof code === 'number') process.exitCode = code;
  } catch (err) {
    const code = reportFailure(err, spec, out);
    process.exitCode = code;
    // A failed subcommand may leave a handle open (a pcap session, a timer, a socket): the program
    // ends once its error event is out, rather than running on with nothing left to do.
    if (real) process.stderr.write('', () => process.exit(code));
  }
}
