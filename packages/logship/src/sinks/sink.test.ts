import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NdjsonEncoder, ndjsonLine } from './sink.js';

describe('NDJSON records', () => {
  it('the fast encoder writes exactly what JSON.stringify writes', () => {
    const enc = new NdjsonEncoder();
    const recs = [
      { time: '2026-11-22T04:20:27.044610233Z', container: 'we"b', container_id: 'abc', stream: 'stdout', message: 'a "quoted"\ttab é \u0001' },
      { time: '2026-11-22T04:20:27.044610233Z', container: 'we"b', container_id: 'abc', stream: 'stdout', message: 'cut', truncated: true },
      { time: '2026-11-22T04:20:27.044610233Z', container: 'db', container_id: 'def', stream: 'stderr', message: '' },
    ];
    assert.equal(enc.lines(recs), recs.map(ndjsonLine).join(''));
  });
});
