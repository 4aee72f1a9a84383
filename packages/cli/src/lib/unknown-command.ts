/**
 * A command line that names no command (`dockside debg web`, `dockside logs shp`): one line in
 * dockside's error format naming the nearest commands, exit 2. oclif's own answer is
 * " ›   Error: command debg:web not found", with no suggestion.
 */
import type { Config, Hook } from '@oclif/core/interfaces';
import type { UsageError } from '@dockside/common';

/** The error for an unknown command id (oclif's form, `logs:shp:--to`), naming the closest commands. */
export async function unknownCommand(config: Config, id: string): Promise<UsageError> {
  const { UsageError, closestNames, editDistance } = await import('@dockside/common');
  const parts = id.split(':');
  // The words that name the command: the topics it goes through, then one more.
  let depth = 1;
  while (depth < parts.length && config.findTopic(parts.slice(0, depth).join(':'))) depth++;
  const asked = parts.slice(0, depth).join(' ');
  const ids = config.commands.filter((c) => !c.hidden).map((c) => c.id.replace(/:/g, ' '));
  // The nearest only: "logs shp" is one edit from "logs ship", two from "logs stop".
  const close = closestNames(asked, ids);
  const best = Math.min(...close.map((c) => editDistance(asked, c)));
  const near = close.filter((c) => editDistance(asked, c) === best).map((c) => `"${config.bin} ${c}"`);
  const list = `\`${config.bin} --help\` lists every command`;
  return new UsageError(`unknown command "${asked}"`, { hint: near.length ? `did you mean ${near.join(', ')}? (${list})` : list });
}

/** oclif's command_not_found hook (package.json oclif.hooks): print the error as a command's catch() does. */
export const commandNotFound: Hook.CommandNotFound = async function commandNotFound(opts) {
  const { formatError, EXIT } = await import('@dockside/common');
  process.stderr.write(`${formatError(await unknownCommand(opts.config, opts.id))}\n`);
  process.exitCode = EXIT.usage;
};
