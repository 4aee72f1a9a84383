import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flag, flags, intFlag } from './args.js';

describe('argv helpers', () => {
  it('reads a value, repeated values and a bounded integer; a missing value is a usage error', () => {
    const args = ['serve', '--port', '9000', '--dir', 'a', '--dir', 'b'];
    assert.equal(flag(args, '--port'), '9000');
    assert.equal(flag(args, '--absent'), undefined);
    assert.deepEqual(flags(args, '--dir'), ['a', 'b']);
    assert.equal(intFlag(args, '--port', 1, 1, 65535), 9000);
    assert.equal(intFlag(args, '--absent', 7, 1, 10), 7);
    assert.throws(() => intFlag(args, '--port', 1, 1, 100), /--port must be an integer from 1 to 100/);
    assert.throws(() => flag(['--port', '--dir'], '--port'), /--port needs a value/);
  });
});
