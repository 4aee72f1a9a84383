import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from './errors.js';
import { formatBytes, formatDuration, parseDuration, parseSize } from './units.js';

describe('parseDuration', () => {
  it('reads units and compounds', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('2h'), 7_200_000);
    assert.equal(parseDuration('1.5s'), 1500);
  });
  it('takes a bare number as seconds', () => assert.equal(parseDuration('10'), 10_000));
  it('rejects junk with a usage error', () => {
    for (const bad of ['', 'abc', '10x', '5s junk', 's5']) assert.throws(() => parseDuration(bad), UsageError, bad);
  });
});

describe('parseSize', () => {
  it('reads binary and decimal units', () => {
    assert.equal(parseSize('512'), 512);
    assert.equal(parseSize('1KiB'), 1024);
    assert.equal(parseSize('1kb'), 1000);
    assert.equal(parseSize('64MiB'), 64 * 1024 * 1024);
    assert.equal(parseSize('1.5G'), 1.5 * 1024 ** 3);
  });
  it('rejects unknown units', () => assert.throws(() => parseSize('12 parsecs'), UsageError));
});

describe('formatting', () => {
  it('formats bytes', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(5 * 1024 ** 3), '5.0 GiB');
  });
  it('formats durations', () => {
    assert.equal(formatDuration(20), '20ms');
    assert.equal(formatDuration(1500), '1.5s');
    assert.equal(formatDuration(95_000), '1m35s');
    assert.equal(formatDuration(3_720_000), '1h02m');
  });
});
