import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogEntryDecoder, ENGINE_PARTIAL_SIZE } from './entries.js';
import { LogLineAssembler, utf8Boundary } from './lines.js';
import { sinceParam } from './timestamp.js';

const T1 = '2026-11-22T04:20:27.044610233Z';
const T2 = '2026-11-22T04:20:27.045091069Z';

function frame(stream: number, text: string | Buffer): Buffer {
  const body = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(body.length, 4);
  return Buffer.concat([h, body]);
}

function feedByteByByte(dec: LogEntryDecoder, asm: LogLineAssembler, bytes: Buffer) {
  const lines = [];
  for (let i = 0; i < bytes.length; i++) lines.push(...asm.push(dec.push(bytes.subarray(i, i + 1))).lines);
  return lines;
}

describe('log entries and lines', () => {
  it('merges partial frames, keeps streams apart and multi-byte characters intact at any split', () => {
    const text = 'é€𝄞'.repeat(3000); // 2+3+4 bytes: boundaries everywhere
    const buf = Buffer.from(text);
    const a = buf.subarray(0, 16384);
    const b = buf.subarray(16384);
    const bytes = Buffer.concat([
      frame(1, Buffer.concat([Buffer.from(`${T1} `), a])),
      frame(2, `${T1} oops\n`),
      frame(1, Buffer.concat([Buffer.from(`${T1} `), b, Buffer.from('\n')])),
      frame(1, `${T2} next\n`),
    ]);
    const lines = feedByteByByte(new LogEntryDecoder(false), new LogLineAssembler({ maxLine: 1 << 20 }), bytes);
    assert.deepEqual(
      lines.map((l) => [l.stream, l.message.toString(), l.position]),
      [
        ['stderr', 'oops', { ts: T1, n: 1 }],
        ['stdout', text, { ts: T1, n: 2 }],
        ['stdout', 'next', { ts: T2, n: 1 }],
      ],
    );
  });

  it('truncates past maxLine on a character boundary and marks it', () => {
    const bytes = Buffer.concat([frame(1, `${T1} ${'€'.repeat(10)}\n`)]);
    const [l] = new LogLineAssembler({ maxLine: 7 }).push(new LogEntryDecoder(false).push(bytes)).lines;
    assert.equal(l?.message.toString(), '€€');
    assert.equal(l?.truncated, true);
    assert.equal(utf8Boundary(Buffer.from('a€').subarray(0, 3)), 1);
  });

  it('resumes after a position: skips exactly the delivered entries at that instant, reports a gap when they are gone', () => {
    const bytes = Buffer.concat([frame(1, `${T1} a\n`), frame(1, `${T1} b\n`), frame(1, `${T2} c\n`)]);
    const r = new LogLineAssembler({ maxLine: 100, resume: { stdout: { ts: T1, n: 1 } } }).push(new LogEntryDecoder(false).push(bytes));
    assert.deepEqual(
      r.lines.map((l) => l.message.toString()),
      ['b', 'c'],
    );
    assert.deepEqual(r.gaps, []);
    const next = new LogLineAssembler({ maxLine: 100, resume: { stdout: { ts: T1, n: 1 } } }).push(
      new LogEntryDecoder(false).push(Buffer.concat([frame(1, `${T1} a\n`), frame(1, `${T2} c\n`)])),
    );
    assert.deepEqual(
      next.lines.map((l) => l.message.toString()),
      ['c'],
    );
    assert.deepEqual(next.gaps, [], 'the delivered entry is still there: no gap');
    const g = new LogLineAssembler({ maxLine: 100, resume: { stdout: { ts: T1, n: 2 } } }).push(new LogEntryDecoder(false).push(frame(1, `${T2} c\n`)));
    assert.deepEqual(g.gaps, [{ stream: 'stdout', from: T1, to: T2 }]);
  });

  it('skips what the engine sends again at rotation (the time steps back, or the last entry comes again): positions stay exact', () => {
    const T3 = '2026-11-22T04:20:27.046000000Z';
    const T4 = '2026-11-22T04:20:27.047000000Z';
    const asm = new LogLineAssembler({ maxLine: 1 << 20 });
    const dec = new LogEntryDecoder(false);
    const take = (...f: Buffer[]) => asm.push(dec.push(Buffer.concat(f))).lines.map((l) => [l.message.toString(), l.position]);
    assert.deepEqual(take(frame(1, `${T1} a\n`), frame(1, `${T2} b\n`), frame(2, `${T2} e\n`)), [
      ['a', { ts: T1, n: 1 }],
      ['b', { ts: T2, n: 1 }],
      ['e', { ts: T2, n: 1 }],
    ]);
    // Sent again from an earlier time, then on: only the new lines, stderr unaffected.
    assert.deepEqual(take(frame(1, `${T1} a\n`), frame(1, `${T2} b\n`), frame(1, `${T3} c\n`), frame(2, `${T3} f\n`)), [
      ['c', { ts: T3, n: 1 }],
      ['f', { ts: T3, n: 1 }],
    ]);
    // The last entry sent again with its own time (no step back).
    assert.deepEqual(take(frame(1, `${T3} c\n`), frame(1, `${T4} d\n`)), [['d', { ts: T4, n: 1 }]]);
    // A split line (16 KiB pieces of the same text share one time) is not taken for a repeat.
    const piece = 'x'.repeat(16384);
    const T5 = '2026-11-22T04:20:27.048000000Z';
    assert.deepEqual(
      take(frame(1, `${T5} ${piece}`), frame(1, `${T5} ${piece}`), frame(1, `${T5} ${piece}\n`)).map(([m, p]) => [(m as string).length, p]),
      [[3 * 16384, { ts: T5, n: 3 }]],
    );
    // Sent again in the middle of an open split line: the line goes on where it was.
    const T6 = '2026-11-22T04:20:27.049000000Z';
    assert.deepEqual(take(frame(1, `${T6} p1`), frame(1, `${T5} ${piece}\n`), frame(1, `${T6} p1`), frame(1, `${T6} p2\n`)), [['p1p2', { ts: T6, n: 2 }]]);
  });

  it('reads TTY output: no headers, CRLF, a 16 KiB cut marked by the next timestamp', () => {
    const long = 'x'.repeat(ENGINE_PARTIAL_SIZE + 10);
    const bytes = Buffer.from(`${T1} hi\r\n${T1} ${long.slice(0, ENGINE_PARTIAL_SIZE)}${T1} ${long.slice(ENGINE_PARTIAL_SIZE)}\r\n${T2} end\r\n`);
    const lines = feedByteByByte(new LogEntryDecoder(true), new LogLineAssembler({ maxLine: 1 << 20, tty: true }), bytes);
    assert.deepEqual(
      lines.map((l) => l.message.toString()),
      ['hi', long, 'end'],
    );
  });

  it('ends a split line where the time changes (local driver: no newline on the last entry)', () => {
    const bytes = Buffer.concat([frame(1, `${T1} ${'y'.repeat(16384)}`), frame(1, `${T1} tail`), frame(1, `${T2} next\n`)]);
    const r = new LogLineAssembler({ maxLine: 1 << 20 }).push(new LogEntryDecoder(false).push(bytes));
    assert.deepEqual(
      r.lines.map((l) => [l.message.length, l.position]),
      [
        [16388, { ts: T1, n: 2 }],
        [4, { ts: T2, n: 1 }],
      ],
    );
  });

  it('since is SECONDS.NANOSECONDS', () => {
    assert.equal(sinceParam(T1), '1795321227.044610233');
  });
});
