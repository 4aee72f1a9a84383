import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Parser } from '@oclif/core';
import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { UsageError } from '@dockside/common';
import { commandAfterDashes } from './command-args.js';

/** Parse as oclif parses `debug` and `run`: a container, the command's words, a boolean and a value flag. */
async function parsed(raw: string[]): Promise<string[]> {
  const r = await Parser.parse(raw, {
    args: { container: Args.string({ required: true }), command: Args.string({ multiple: true }) },
    flags: { pid: Flags.boolean(), image: Flags.string() },
  });
  return [r.args.container, ...(r.args.command ?? [])];
}

const EXAMPLE = 'dockside debug CONTAINER -- COMMAND';

describe('commandAfterDashes (CONTAINER [-- COMMAND...])', () => {
  it('takes the words after -- as the command, flags of the command included', async () => {
    for (const [raw, want] of [
      [
        ['web', '--', 'ss', '-tlnp'],
        ['ss', '-tlnp'],
      ],
      [
        ['web', '--pid', '--image', 'x', '--', 'sh', '-c', 'echo -- a'],
        ['sh', '-c', 'echo -- a'],
      ],
      [['--pid', 'web'], []],
      [
        ['web', '--', 'echo', '--', 'x'],
        ['echo', '--', 'x'],
      ],
    ] as Array<[string[], string[]]>) {
      assert.deepEqual(commandAfterDashes(raw, await parsed(raw), EXAMPLE), want, raw.join(' '));
    }
  });

  it('refuses a second word before -- (it is not a second container, nor the command)', async () => {
    for (const raw of [
      ['web', 'db'],
      ['web', 'db', '--', 'ls'],
      ['web', '--pid', 'db', 'cache'],
    ]) {
      const pos = await parsed(raw);
      assert.throws(
        () => commandAfterDashes(raw, pos, EXAMPLE),
        (err: unknown) =>
          err instanceof UsageError && err.exitCode === 2 && /one container only, and the command after --/.test(err.message) && /dockside debug web -- /.test(err.hint ?? ''),
        raw.join(' '),
      );
    }
  });

  it("refuses an empty command word (-- '')", async () => {
    for (const raw of [
      ['web', '--', ''],
      ['web', '--', ' ', 'x'],
    ]) {
      const pos = await parsed(raw);
      assert.throws(
        () => commandAfterDashes(raw, pos, EXAMPLE),
        (err: unknown) => err instanceof UsageError && /the command after -- is empty/.test(err.message) && /dockside debug web -- ip addr/.test(err.hint ?? ''),
      );
    }
  });
});
