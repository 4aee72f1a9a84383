/**
 * What every dockside command shares: one error handler (typed errors -> one line + exit code;
 * bugs -> "this is a bug", stack only with DEBUG=dockside*), `--json` rendering, a per-invocation
 * session id, and a lazily created engine context.
 */
import { Command } from '@oclif/core/command';
import * as Errors from '@oclif/core/errors';
import * as Flags from '@oclif/core/flags';
import type { Engine } from '@dockside/engine';
import { randomBytes } from 'node:crypto';

export abstract class DocksideCommand extends Command {
  /** A per-invocation id, recorded on everything this invocation starts. */
  protected readonly session = randomBytes(6).toString('hex');
  private enginePromise: Promise<Engine> | undefined;

  protected engine(): Promise<Engine> {
    this.enginePromise ??= import('@dockside/engine').then((m) => m.connectEngine());
    return this.enginePromise;
  }

  /** Print a value as pretty JSON on stdout. */
  protected printJson(value: unknown): void {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<void> {
    const { formatError, isUserError, EXIT } = await import('@dockside/common');
    const debugOn = /(^|,)\s*dockside/.test(process.env['DEBUG'] ?? '');
    if (err instanceof Errors.ExitError) throw err;
    let exit: number;
    if (isUserError(err)) {
      // Thrown by a flag's parse() (lib/flags.ts): oclif wrapped it as "Parsing --x \n\t<message>\nSee more help ...".
      err.message = err.message.replace(/^Parsing --\S+\s*\n\t/, '').replace(/\nSee more help with --help$/, '');
      process.stderr.write(`${formatError(err)}\n`);
      exit = err.exitCode;
    } else if (err instanceof Errors.CLIError || err.oclif?.exit !== undefined) {
      // Flag and argument parsing errors from oclif: keep them to one line (plus oclif's own hint).
      // oclif spreads one error over lines ("Parsing --port" / "Expected an integer ..." / "See more help ...").
      const parts = err.message
        .split('\n')
        .map((l) => l.replace(/^\s*›?\s*(Error:)?\s*/, '').trim())
        .filter((l) => l && !/^See more help/i.test(l));
      if (parts.length === 0) parts.push('invalid arguments');
      const line = parts
        .slice(0, 2)
        .reduce((a, b) => (a.endsWith(':') ? `${a} ${b}` : `${a}: ${b}`))
        .replace(/\s{2,}/g, ' - ');
      process.stderr.write(`dockside: ${line}\n  hint: see \`dockside ${this.id?.replace(/:/g, ' ') ?? ''} --help\`\n`);
      exit = err.oclif?.exit ?? EXIT.usage;
    } else {
      process.stderr.write(`${formatError(err, { version: this.config.version })}\n`);
      exit = EXIT.failure;
    }
    if (debugOn && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exitCode = exit;
  }
}

/** Shared flags. Every flag can also be set through a DOCKSIDE_* variable. */
export const jsonFlag = Flags.boolean({
  description: 'Print machine-readable JSON on stdout instead of a table.',
  env: 'DOCKSIDE_JSON',
  default: false,
});
