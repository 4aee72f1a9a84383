import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '@dockside/common';
import { parseEnvPairs, parseMount } from './run.js';

describe('parseMount', () => {
  it('reads docker --mount syntax', () => {
    assert.deepEqual(parseMount('type=bind,source=/var/log,target=/logs,readonly'), { type: 'bind', source: '/var/log', target: '/logs', readOnly: true });
    assert.deepEqual(parseMount('type=volume,src=data,dst=/data'), { type: 'volume', source: 'data', target: '/data' });
    assert.deepEqual(parseMount('type=tmpfs,target=/scratch'), { type: 'tmpfs', target: '/scratch' });
  });
  it('rejects what docker would', () => {
    assert.throws(() => parseMount('type=nfs,src=a,dst=/b'), UsageError);
    assert.throws(() => parseMount('source=/a,target=relative'), UsageError);
    assert.throws(() => parseMount('type=bind,target=/b'), UsageError);
    assert.throws(() => parseMount('type=bind,src=/a,dst=/b,colour=red'), UsageError);
  });
});

describe('parseEnvPairs', () => {
  it('splits on the first =', () => assert.deepEqual(parseEnvPairs(['A=1', 'B=x=y']), { A: '1', B: 'x=y' }));
  it('rejects pairs without a name', () => assert.throws(() => parseEnvPairs(['=1']), UsageError));
});
