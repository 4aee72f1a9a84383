import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Parser } from '@oclif/core';
import { isUserError } from '@dockside/common';
import { durationFlag, durationText, listFlag, splitList } from './flags.js';

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'commands');

function commandFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? commandFiles(p) : p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

type AnyFlag = { env?: string; multiple?: boolean; options?: readonly string[]; type?: string; [k: string]: unknown };

async function commandFlags(): Promise<Array<{ where: string; name: string; flag: AnyFlag }>> {
  const out: Array<{ where: string; name: string; flag: AnyFlag }> = [];
  for (const file of commandFiles(commandsDir)) {
    const cmd = (await import(file)) as { default?: { flags?: Record<string, AnyFlag> } };
    for (const [name, flag] of Object.entries(cmd.default?.flags ?? {})) out.push({ where: `${relative(commandsDir, file).replace(/\.ts$/, '')} --${name}`, name, flag });
  }
  return out;
}

/** Parse one flag alone (its relations to other flags dropped) with the environment given. */
async function parseAlone(name: string, flag: AnyFlag, argv: string[], env: Record<string, string>): Promise<unknown> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    const alone = { ...flag, exclusive: undefined, dependsOn: undefined, relationships: undefined, required: false };
    const { flags } = await Parser.parse(argv, { flags: { [name]: alone } as never, strict: false });
    return (flags as Record<string, unknown>)[name];
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

// The README: a repeatable flag's variable holds several values, comma-separated, or one per line
// for `run --mount`, `--env` and `--env-file` (their values hold commas themselves).
const ONE_PER_LINE = new Set(['run --mount', 'run --env', 'run --env-file']);

describe('every repeatable flag of every command', () => {
  it('takes several values through its DOCKSIDE_* variable, as the README says, and the same from the command line', async () => {
    const repeatable = (await commandFlags()).filter((f) => f.flag.multiple);
    assert.ok(repeatable.length >= 12, `only ${repeatable.length} repeatable flags found`);
    const wrong: string[] = [];
    for (const { where, name, flag } of repeatable) {
      const oneLine = ONE_PER_LINE.has(where);
      // Values a user would give; the one-per-line flags' values hold commas.
      // A flag with a fixed set of values lists them in --help (`<options: backup|logship|...>`).
      const choices = flag.options ?? (typeof flag['description'] === 'string' ? /<options: ([^>]+)>/.exec(flag['description'])?.[1]?.split('|') : undefined);
      const values = choices?.length ? choices.slice(0, 2) : oneLine ? ['type=bind,source=/a,target=/b', 'K=a,b'] : ['/srv/one', 'two'];
      const text = oneLine ? `${values.join('\n')}\n` : values.join(', ');
      try {
        const fromEnv = await parseAlone(name, flag, [], { [flag.env!]: text });
        if (JSON.stringify(fromEnv) !== JSON.stringify(values)) wrong.push(`${where}: ${flag.env}=${JSON.stringify(text)} gave ${JSON.stringify(fromEnv)}`);
        const fromArgv = await parseAlone(
          name,
          flag,
          values.flatMap((v) => [`--${name}`, v]),
          {},
        );
        if (JSON.stringify(fromArgv) !== JSON.stringify(values)) wrong.push(`${where}: the command line gave ${JSON.stringify(fromArgv)}`);
      } catch (err) {
        wrong.push(`${where}: ${flag.env}=${JSON.stringify(text)} failed: ${(err as Error).message.replace(/\s+/g, ' ')}`);
      }
    }
    assert.deepEqual(wrong, []);
  });
});

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

  it('an out-of-range value (0 among them) gets a hint with a value in range', async () => {
    const hint = async (argv: string[], fl: Parameters<typeof Parser.parse>[1]['flags']) => {
      try {
        await Parser.parse(argv, { flags: fl });
      } catch (err) {
        return (err as { hint?: string }).hint ?? '';
      }
      return assert.fail(`${argv.join(' ')} was accepted`);
    };
    assert.equal(await hint(['--sample', '0'], flags), 'e.g. --sample 1s (units ms, s, m, h), the default');
    assert.equal(await hint(['--stop', '0s'], flags), 'e.g. --stop 10s (units ms, s, m, h)');
    const small = { d: durationFlag({ description: 'd', env: 'DOCKSIDE_TEST_D', max: 5000, omitted: 'leave it out to run until Ctrl-C' }) };
    assert.equal(await hint(['--d', '0'], small), 'e.g. --d 5s (units ms, s, m, h); leave it out to run until Ctrl-C');
  });

  it('writes milliseconds back as a user would', () => {
    assert.equal(durationText(1000), '1s');
    assert.equal(durationText(90_000), '1m30s');
    assert.equal(durationText(3_600_000), '1h');
    assert.equal(durationText(1500), '1s500ms');
    assert.equal(durationText(0), '0s');
  });
});

describe('listFlag', () => {
  const flags = {
    dir: listFlag({ description: 'd', env: 'DOCKSIDE_TEST_DIR', commaSeparatedArguments: true }),
    mount: listFlag({ description: 'd', env: 'DOCKSIDE_TEST_MOUNT', separator: '\n' }),
    role: listFlag({ description: 'd', env: 'DOCKSIDE_TEST_ROLE', options: ['backup', 'netdebug'] }),
  };
  const parse = async (argv: string[], env: Record<string, string> = {}) => {
    Object.assign(process.env, env);
    try {
      return (await Parser.parse(argv, { flags })).flags;
    } finally {
      for (const k of Object.keys(env)) delete process.env[k];
    }
  };

  it('gives a list from the command line and from the variable, undefined when not set', async () => {
    assert.deepEqual(await parse(['--dir', '/a,/b', '--dir', '/c', '--mount', 'type=bind,source=/x,target=/y']), {
      dir: ['/a', '/b', '/c'],
      mount: ['type=bind,source=/x,target=/y'],
    });
    assert.deepEqual(await parse([], { DOCKSIDE_TEST_DIR: '/a, /b,,', DOCKSIDE_TEST_MOUNT: 'type=bind,source=/x,target=/y\r\ntype=volume,source=v,target=/v\n' }), {
      dir: ['/a', '/b'],
      mount: ['type=bind,source=/x,target=/y', 'type=volume,source=v,target=/v'],
    });
    assert.deepEqual(await parse(['--dir', '/cli'], { DOCKSIDE_TEST_DIR: '/env' }), { dir: ['/cli'] }, 'the command line wins over the variable');
    assert.equal((await parse([])).role, undefined);
  });

  it('checks options per value, from either source, with a user error', async () => {
    assert.deepEqual((await parse([], { DOCKSIDE_TEST_ROLE: 'backup,netdebug' })).role, ['backup', 'netdebug']);
    for (const [argv, env] of [
      [['--role', 'nope'], {}],
      [[], { DOCKSIDE_TEST_ROLE: 'backup,nope' }],
    ] as const) {
      await assert.rejects(parse([...argv], env), (err: Error) => isUserError(err) && /--role must be one of backup, netdebug \(got "nope"\)/.test(err.message));
    }
  });

  it('splits a variable trimmed, without blanks', () => {
    assert.deepEqual(splitList('NET_RAW, NET_ADMIN', ','), ['NET_RAW', 'NET_ADMIN']);
    assert.deepEqual(splitList('a=1,b\n\n c=2 \n', '\n'), ['a=1,b', 'c=2']);
  });
});
