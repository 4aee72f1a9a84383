import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeExecCreate, decodeExecStart, decodeNoBody } from './exec-policy.js';

describe('exec and other bodies', () => {
  it("an exec create: never privileged, the container's own user unless listed, a command", () => {
    const rule = { users: [] };
    assert.deepEqual(decodeExecCreate('{"cmd":["id"],"attachstdout":true}', rule), { canonical: '{"AttachStdout":true,"Cmd":["id"]}' });
    for (const [body, why] of [
      ['{"Cmd":["id"],"privileged":true}', /privileged/],
      ['{"Cmd":["id"],"Privileged":false,"PRIVILEGED":true}', /twice/],
      ['{"Cmd":["id"],"U\u017fer":"root"}', /user "root"/],
      ['{"Cmd":[]}', /needs a command/],
      ['{"Cmd":["id"],"Bogus":1}', /not a field/],
    ] as const) {
      const d = decodeExecCreate(body, rule);
      assert.ok('refused' in d, body);
      assert.match(d.refused, why);
    }
    assert.ok('canonical' in decodeExecCreate('{"Cmd":["id"],"User":"app"}', { users: ['app'] }));
    assert.ok('refused' in decodeExecCreate('{"Cmd":["rm"]}', { users: [], commands: ['sh'] }));
  });
  it('exec start keeps Detach and Tty; other POSTs carry nothing', () => {
    assert.deepEqual(decodeExecStart('{"hijack":true,"stdin":false,"Detach":false}'), { canonical: '{"Detach":false}' });
    assert.deepEqual(decodeNoBody(''), { canonical: '' });
    assert.deepEqual(decodeNoBody(' {} '), { canonical: '' });
    // dockerode's echo of its query options: accepted, and dropped like anything else in there.
    assert.deepEqual(decodeNoBody('{"t":2}'), { canonical: '' });
    assert.deepEqual(decodeNoBody('{"HostConfig":{"Privileged":true}}'), { canonical: '' });
    assert.ok('refused' in decodeNoBody('x'));
    assert.ok('refused' in decodeNoBody('[1]'));
  });
});
