/**
 * `CONTAINER [-- COMMAND...]`, as `debug` and `run` take it: one container, and the command only
 * after `--`. oclif hands a non-strict command its positionals with the `--` gone, so the raw argv
 * tells which words came after it: a second word before `--` is refused (`debug web db` would run
 * `db` in web), not taken as the command; an empty command word (`-- ''`) is refused too.
 */
import { UsageError } from '@dockside/common';

/** The usage line oclif cannot write for this shape (it marks every argument of a non-strict command variadic). */
export function containerCommandUsage(flags: string, commandOptional: boolean): string {
  return `<%= command.id %> CONTAINER ${flags} ${commandOptional ? '[-- COMMAND...]' : '-- COMMAND...'}`.replace(/\s+/g, ' ');
}

/**
 * The command after `--`. `raw` is the command line as typed (this.argv), `positionals` what
 * oclif parsed (the container first), `example` a full command line for the hint.
 */
export function commandAfterDashes(raw: readonly string[], positionals: readonly string[], example: string): string[] {
  const dashes = raw.indexOf('--');
  const after = dashes < 0 ? [] : raw.slice(dashes + 1);
  const [container, ...rest] = positionals;
  // What oclif returned beyond the container and the words after `--`: words typed before `--`.
  const before = rest.slice(0, Math.max(0, rest.length - after.length));
  if (before.length) {
    throw new UsageError(`one container only, and the command after --: got ${[container, ...before].map((w) => `"${w}"`).join(', ')} before it`, {
      hint: `e.g. \`${example.replace('CONTAINER', container ?? 'web').replace('COMMAND', before.join(' '))}\``,
    });
  }
  if (after.length && !after[0]?.trim()) {
    throw new UsageError('the command after -- is empty', {
      hint: `give the program to run first, e.g. \`${example.replace('CONTAINER', container ?? 'web').replace('COMMAND', 'ip addr')}\``,
    });
  }
  return after;
}
