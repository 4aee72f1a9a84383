/**
 * What `--help` says the commands take, as the real CLI prints it (no engine needed): one container
 * and the command after `--` for debug and run, capture's two forms without a false exclusive
 * group, and metrics serve telling how its sidecar reaches the engine as it really does (no socket;
 * metrics-serve.integration.test.ts checks the exporter's mounts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../support/engine.js';

async function usage(cmd: string[]): Promise<{ usage: string; args: string; all: string }> {
  const r = await runCli([...cmd, '--help'], { env: { COLUMNS: '200' } });
  assert.equal(r.code, 0, r.stderr);
  const section = (name: string) => (new RegExp(`^${name}\\n((?:  .*\\n?)+)`, 'm').exec(r.stdout)?.[1] ?? '').replace(/\s+/g, ' ').trim();
  return { usage: section('USAGE'), args: section('ARGUMENTS'), all: r.stdout.replace(/\s+/g, ' ') };
}

describe('usage in --help', () => {
  it('debug and run: one CONTAINER, the command after -- (nothing variadic before it)', async () => {
    const d = await usage(['debug']);
    assert.match(d.usage, /^\$ dockside debug CONTAINER \[--pid\] .*\[-- COMMAND\.\.\.\]$/);
    assert.doesNotMatch(`${d.usage} ${d.args}`, /CONTAINER\.\.\./);
    const r = await usage(['run']);
    assert.match(r.usage, /^\$ dockside run CONTAINER \[--volumes\] .* -- COMMAND\.\.\.$/);
    assert.doesNotMatch(`${r.usage} ${r.args}`, /CONTAINER\.\.\./);
  });

  it('capture: a capture form and a --read form, -w -d -c -i not drawn as excluding each other', async () => {
    const c = await usage(['capture']);
    assert.doesNotMatch(c.usage, /-w <value> \| -d|\| -c <value> \|/);
    assert.match(c.usage, /\$ dockside capture CONTAINER .*\[-d <duration>\] \[-c <count>\] \[-i <interface>\].*\[-w <file>\|-\]/);
    assert.match(c.usage, /\$ dockside capture -r <file> /);
  });

  it('metrics serve: the sidecar gets no Docker socket, only its api-proxy (no "socket read-only")', async () => {
    const m = await usage(['metrics', 'serve']);
    assert.doesNotMatch(m.all, /socket read-only/i);
    assert.match(m.all, /no Docker socket: it reaches the engine through its own api-proxy/);
  });
});
