/**
 * Subcommand dispatch for in-container programs. Every image answers `version`, `probe` and
 * `api-proxy` (the filtering Docker API proxy a long-running sidecar reaches the engine through); a
 * sidecar adds its own subcommands. Errors print one line on stderr and exit non-zero.
 */
import { formatError, isUserError } from '@dockside/common';
import { apiProxyCommand } from './api-proxy-command.js';
import { probe } from './probe.js';

export type Subcommand = (args: string[]) => Promise<number | void>;

export interface ProgramSpec {
  role: string;
  version: string;
  commands?: Record<string, Subcommand>;
  /** What runs with no subcommand (default: usage). */
  defaultCommand?: string;
}

export async function runProgram(spec: ProgramSpec, argv: string[] = process.argv.slice(2)): Promise<void> {
  const commands: Record<string, Subcommand> = {
    version: async () => {
      process.stdout.write(`${spec.role} ${spec.version}\n`);
    },
    probe: async () => {
      process.stdout.write(`${JSON.stringify(await probe(spec.role, spec.version))}\n`);
    },
    ...spec.commands,
    'api-proxy': (args) => apiProxyCommand(args, spec.role),
  };
  const [name = spec.defaultCommand ?? 'help', ...rest] = argv;
  const cmd = commands[name];
  if (!cmd) {
    process.stderr.write(`dockside-${spec.role}: unknown subcommand "${name}"; known: ${Object.keys(commands).sort().join(', ')}\n`);
    process.exitCode = 2;
    return;
  }
  try {
    const code = await cmd(rest);
    if (typeof code === 'number') process.exitCode = code;
  } catch (err) {
    process.stderr.write(`${formatError(err, `dockside-${spec.role}`)}\n`);
    if (!isUserError(err) && err instanceof Error && process.env['DEBUG']) process.stderr.write(`${err.stack}\n`);
    process.exitCode = isUserError(err) ? err.exitCode : 1;
  }
}
