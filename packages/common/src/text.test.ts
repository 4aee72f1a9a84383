import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closestNames, editDistance, naturalCompare, renderTable } from './text.js';
import { BugError, EXIT, NotFoundError, formatError, isUserError } from './errors.js';

describe('closestNames', () => {
  it('finds typos and substrings, best first', () => {
    const names = ['web', 'web-db', 'worker', 'redis', 'api-gateway'];
    assert.deepEqual(closestNames('wbe', names).slice(0, 1), ['web']);
    assert.ok(closestNames('gateway', names).includes('api-gateway'));
    assert.deepEqual(closestNames('zzzzzzzz', names), []);
  });
  it('computes edit distance', () => {
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('same', 'same'), 0);
  });
});

describe('naturalCompare', () => {
  it('orders digit runs by value, and is a total order', () => {
    assert.deepEqual(['pnm-10', 'pnm-2', 'pnm-1', 'web', 'api-10', 'api-9'].sort(naturalCompare), ['api-9', 'api-10', 'pnm-1', 'pnm-2', 'pnm-10', 'web']);
    assert.notEqual(naturalCompare('a01', 'a1'), 0, 'different names never compare equal');
  });
});

describe('renderTable', () => {
  it('aligns columns and right-aligns numbers', () => {
    const t = renderTable(
      ['NAME', 'SIZE'],
      [
        ['a', '1'],
        ['long-name', '100'],
      ],
      [1],
    );
    assert.equal(t, 'NAME       SIZE\na             1\nlong-name   100');
  });
});

describe('errors', () => {
  it('formats user errors as one line plus hint, with their exit code', () => {
    const e = new NotFoundError('no container named "x"', { hint: 'did you mean "y"?' });
    assert.equal(e.exitCode, EXIT.usage);
    assert.equal(formatError(e), 'dockside: no container named "x"\n  hint: did you mean "y"?');
  });
  it('calls anything else a bug', () => {
    assert.match(formatError(new TypeError('boom')), /internal error \(this is a bug/);
  });
  it('reports a BugError as a bug in this version of dockside', () => {
    const line = formatError(new BugError('sidecar spec joins a target but names none'), { version: '1.2.3' });
    assert.match(line, /^dockside: internal error \(this is a bug in dockside 1\.2\.3, please report it/);
    assert.match(line, /sidecar spec joins a target but names none$/);
    assert.ok(!isUserError(new BugError('x')));
  });
});
