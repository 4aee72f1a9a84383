import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CorruptRepositoryError } from './errors.js';
import { goQuote, goUnquote } from './go-quote.js';
import { goString, goTime, parseGoTime } from './json.js';
import { parseTree, serializeTree, type TreeNode } from './tree.js';

describe("Go's quoting and JSON, as restic 0.14 writes names and times", () => {
  it('quotes names like strconv.Quote and reads them back byte for byte', () => {
    const cases: Array<[Buffer, string]> = [
      [Buffer.from('plain.txt'), 'plain.txt'],
      [Buffer.from('a"b\\c'), 'a\\"b\\\\c'],
      [Buffer.from('tab\tnl\n'), 'tab\\tnl\\n'],
      [Buffer.from('na\u00efve \u4e2d'), 'na\u00efve \u4e2d'],
      [Buffer.from([0x61, 0xff, 0x62]), 'a\\xffb'],
      [Buffer.from('\u0001\u007f'), '\\x01\\x7f'],
      [Buffer.from('nbsp\u00a0'), 'nbsp\\u00a0'],
    ];
    for (const [raw, quoted] of cases) {
      assert.equal(goQuote(raw), quoted);
      assert.deepEqual(goUnquote(quoted), raw);
    }
    assert.throws(() => goUnquote('bad\\q'));
    assert.throws(() => goUnquote('a"b'));
    // Names, times and trees come from the repository: what does not parse is damage, not a bug.
    assert.throws(() => goUnquote('bad\\q'), CorruptRepositoryError);
    assert.throws(() => parseGoTime('yesterday'), CorruptRepositoryError);
    assert.throws(() => parseTree(Buffer.from('{"nodes":null}')), CorruptRepositoryError);
  });

  it("escapes strings as Go's encoding/json", () => {
    assert.equal(goString('<a & b>\u2028\b'), '"\\u003ca \\u0026 b\\u003e\\u2028\\u0008"');
  });

  it('formats times as RFC 3339 with trimmed nanoseconds', () => {
    assert.equal(goTime(1_600_000_000_123_456_789n), '2020-09-13T12:26:40.123456789Z');
    assert.equal(goTime(1_600_000_000_100_000_000n), '2020-09-13T12:26:40.1Z');
    assert.equal(goTime(1_600_000_000_000_000_000n), '2020-09-13T12:26:40Z');
    assert.equal(parseGoTime('2020-09-13T14:26:40.123456789+02:00'), 1_600_000_000_123_456_789n);
    assert.equal(parseGoTime('2020-09-13T12:26:40Z'), 1_600_000_000_000_000_000n);
  });

  it('serializes nodes in Go field order, omits what Go omits, keeps content [] for empty files', () => {
    const base = { mtime: 'T', atime: 'T', ctime: 'T', uid: 0, gid: 0 };
    const nodes: TreeNode[] = [
      { name: 'b', type: 'file', mode: 420, ...base, size: 0, links: 1, content: [] },
      { name: 'a"', type: 'dir', mode: 2147484141, ...base, subtree: 'ab' },
      { name: 'raw', rawName: Buffer.from([0xff]), type: 'symlink', mode: 134218239, ...base, linktarget: 'x' },
    ];
    const s = serializeTree(nodes).toString();
    assert.equal(
      s,
      '{"nodes":[{"name":"a\\\\\\"","type":"dir","mode":2147484141,"mtime":"T","atime":"T","ctime":"T","uid":0,"gid":0,"content":null,"subtree":"ab"},' +
        '{"name":"b","type":"file","mode":420,"mtime":"T","atime":"T","ctime":"T","uid":0,"gid":0,"links":1,"content":[]},' +
        '{"name":"\\\\xff","type":"symlink","mode":134218239,"mtime":"T","atime":"T","ctime":"T","uid":0,"gid":0,"linktarget":"x","content":null}]}\n',
    );
    const back = parseTree(Buffer.from(s)).nodes;
    assert.deepEqual(
      back.map((n) => n.name),
      ['a"', 'b', '\ufffd'],
    );
    assert.deepEqual(back[2]?.rawName, Buffer.from([0xff]));
  });
});
