import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Parser } from '@oclif/core';
import { isUserError } from '@dockside/common';
import { durationFlag, durationText, repeated } from './flags.js';

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'commands');

function commandFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? commandFiles(p) : p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

describe('every flag of every command', () => {
  // Walks src/commands as the bundler does: a command added later is covered without touching this test.
  it('can be set through a DOCKSIDE_* variable, one variable per flag of a command', async () => {
    const files = commandFiles(commandsDir);
    assert.ok(files.length >= 15, `found only ${files.length} commands under ${commandsDir}`);
    const missing: string[] = [];
    let checked = 0;
    for (const file of files) {
      const cmd = (await import(file)) as { default?: { flags?: Record<string, { env?: string }> } };
      assert.ok(cmd.default, `${relative(commandsDir, file)} has no default export`);
      const seen = new Map<string, string>();
      for (const [name, flag] of Object.entries(cmd.default.flags ?? {})) {
        checked++;
        const where = `${relative(commandsDir, file)} --${name}`;
        if (!flag.env || !/^DOCKSIDE_[A-Z0-9_]+$/.test(flag.env)) {
          missing.push(`${where} (env: ${flag.env ?? 'none'})`);
          continue;
        }
        assert.equal(seen.get(flag.env), undefined, `${where} shares ${flag.env} with --${seen.get(flag.env)}`);
        seen.set(flag.env, name);
      }
    }
    assert.ok(checked > 50, `only ${checked} flags found`);
    assert.deepEqual(missing, [], 'flags without a DOCKSIDE_* variable');
  });
});

describe('durationFlag', () => {
  const flags = {
    sample: durationFlag({ description: 'd', env: 'DOCKSIDE_TEST_SAMPLE', default: '1s', min: 100, max: 60_000 }),
    stop: durationFlag({ description: 'd', env: 'DOCKSIDE_TEST_STOP' }),
  };
  const parse = (argv: string[]) => Parser.parse(argv, { flags });

  it('parses into milliseconds at parse time, with the default given as text', async () => {
    assert.deepEqual((await parse(['--sample', '1m', '--stop', '1h30m'])).flags, { sample: 60_000, stop: 5_400_000 });
    const d = await parse([]);
    assert.equal(d.flags.sample, 1000);
    assert.equal(d.flags.stop, undefined);
    assert.equal((await parse(['--sample', '0.5'])).flags.sample, 500, 'bare seconds');
  });

  it('reads its DOCKSIDE_* variable', async () => {
    process.env['DOCKSIDE_TEST_SAMPLE'] = '250ms';
    try {
      assert.equal((await parse([])).flags.sample, 250);
    } finally {
      delete process.env['DOCKSIDE_TEST_SAMPLE'];
    }
  });

  it('rejects bad text and values out of range with a user error naming the flag', async () => {
    const failure = async (argv: string[]) => {
      try {
        await parse(argv);
      } catch (err) {
        assert.ok(isUserError(err), `not a user error: ${String(err)}`);
        return (err as Error).message;
      }
      return assert.fail(`${argv.join(' ')} was accepted`);
    };
    assert.match(await failure(['--sample', 'soon']), /"soon" is not a duration/);
    assert.match(await failure(['--sample', '10ms']), /--sample must be between 100ms and 1m \(got 10ms\)/);
    assert.match(await failure(['--sample', '61s']), /--sample must be between 100ms and 1m \(got 61s\)/);
    assert.match(await failure(['--stop', '0s']), /--stop must be longer than zero \(got 0s\)/);
  });

  it('writes milliseconds back as a user would', () => {
    assert.equal(durationText(1000), '1s');
    assert.equal(durationText(90_000), '1m30s');
    assert.equal(durationText(3_600_000), '1h');
    assert.equal(durationText(1500), '1s500ms');
    assert.equal(durationText(0), '0s');
  });
});

describe('repeated', () => {
  it('keeps command-line arrays and splits a variable on its separator', () => {
    assert.deepEqual(repeated(['a,b', 'c'], ','), ['a,b', 'c']);
    assert.deepEqual(repeated('NET_RAW, NET_ADMIN', ','), ['NET_RAW', 'NET_ADMIN']);
    assert.deepEqual(repeated('type=bind,source=/a,target=/b\ntype=volume,source=v,target=/v\n', '\n'), ['type=bind,source=/a,target=/b', 'type=volume,source=v,target=/v']);
    assert.deepEqual(repeated(undefined, ','), []);
  });
});
