import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BugError, decodeLine, UserError } from '@dockside/common';
import { runProgram } from './program.js';

function capture(isTTY: boolean) {
  const lines: string[] = [];
  return { out: { isTTY, write: (s: string) => lines.push(...s.split('\n').filter(Boolean)) }, lines };
}

async function run(err: unknown, isTTY = false) {
  const c = capture(isTTY);
  const before = process.exitCode;
  await runProgram({ role: 'test', version: '9.9.9', commands: { boom: async () => Promise.reject(err) } }, ['boom'], c.out);
  const code = process.exitCode;
  process.exitCode = before;
  return { code, lines: c.lines };
}

describe('runProgram failures', () => {
  it('reports a user error as one error event with its hint, code and exit code', async () => {
    const { code, lines } = await run(new UserError('no such interface "eth9"', { exitCode: 2, hint: 'use --interface any', code: 'ENOIFACE' }));
    assert.equal(code, 2);
    assert.equal(lines.length, 1, lines.join('\n'));
    const d = decodeLine(lines[0] as string);
    assert.equal(d.kind, 'event');
    assert.deepEqual(d.kind === 'event' && d.event, { v: 1, type: 'error', message: 'no such interface "eth9"', hint: 'use --interface any', code: 'ENOIFACE', exitCode: 2 });
  });

  it('adds a plain line only when a person watches a terminal', async () => {
    const { lines } = await run(new UserError('bad', { hint: 'fix it' }), true);
    assert.equal(lines.length, 3);
    assert.equal(lines[1], 'dockside-test: bad');
    assert.equal(lines[2], '  hint: fix it');
  });

  it('reports a bug as a bug, with the version', async () => {
    const { code, lines } = await run(new BugError('cannot happen'));
    assert.equal(code, 1);
    const d = decodeLine(lines[0] as string);
    assert.ok(d.kind === 'event' && d.event.type === 'error');
    assert.equal(d.event.code, 'EBUG');
    assert.match(d.event.message, /^test sidecar: internal error \(this is a bug in dockside 9\.9\.9.*cannot happen$/);
  });

  it('reports an unknown subcommand as a usage error event', async () => {
    const c = capture(false);
    const before = process.exitCode;
    await runProgram({ role: 'test', version: '1' }, ['nope'], c.out);
    const code = process.exitCode;
    process.exitCode = before;
    assert.equal(code, 2);
    const d = decodeLine(c.lines[0] as string);
    assert.ok(d.kind === 'event' && d.event.type === 'error');
    assert.match(d.event.message, /unknown subcommand "nope"/);
  });
});
