import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeEvent, EVENT_PREFIX } from '@dockside/common';
import { EventReader } from './event-reader.js';

async function feed(reader: EventReader, chunks: Buffer[]): Promise<void> {
  for (const c of chunks) await new Promise<void>((r, j) => reader.write(c, (e) => (e ? j(e) : r())));
  await reader.finish();
}

describe('EventReader', () => {
  // Two-, three- and four-byte UTF-8 characters in an event and in a text line.
  const message = 'größe 日本語 🚢 ok';
  const bytes = Buffer.from(`${encodeEvent({ type: 'warning', message })}plain ${message}\n${encodeEvent({ type: 'result', data: { m: message } })}`);

  it('keeps multi-byte characters whole when the stream is split at every offset', async () => {
    for (let i = 0; i <= bytes.length; i++) {
      const events: unknown[] = [];
      const text: string[] = [];
      const r = new EventReader({ onEvent: (e) => events.push(e), onText: (t) => text.push(t) });
      await feed(r, [bytes.subarray(0, i), bytes.subarray(i)]);
      assert.deepEqual(
        events,
        [
          { v: 1, type: 'warning', message },
          { v: 1, type: 'result', data: { m: message } },
        ],
        `split at ${i}`,
      );
      assert.deepEqual(text, [`plain ${message}`], `split at ${i}`);
      assert.deepEqual(r.result, { m: message });
    }
  });

  it('keeps multi-byte characters whole when fed one byte at a time', async () => {
    const text: string[] = [];
    const r = new EventReader({ onText: (t) => text.push(t) });
    await feed(
      r,
      [...bytes].map((b) => Buffer.from([b])),
    );
    assert.deepEqual(text, [`plain ${message}`]);
    assert.equal(r.warnings[0], message);
  });

  it('bounds a line and counts the cut', async () => {
    const text: string[] = [];
    const r = new EventReader({ maxLineBytes: 10, onText: (t) => text.push(t) });
    await feed(r, [Buffer.from('0123456789abcdef'), Buffer.from('ghij\nshort\n')]);
    assert.deepEqual(text, ['0123456789', 'short']);
    assert.equal(r.truncatedLines, 1);
  });

  it('tells events of another protocol version from text, and turns an error event into a user error', async () => {
    const r = new EventReader();
    await feed(r, [
      Buffer.from(`${EVENT_PREFIX}{"v":99,"type":"progress"}\n`),
      Buffer.from(encodeEvent({ type: 'error', message: 'no such bucket', hint: 'create it', code: 'ENOBUCKET', exitCode: 2 })),
    ]);
    assert.equal(r.invalidLines, 1);
    const e = r.failure('backup', 2);
    assert.equal(e.message, 'no such bucket');
    assert.equal(e.hint, 'create it');
    assert.equal(e.exitCode, 2);
  });

  it('explains a failure without an error event by the last lines printed', async () => {
    const r = new EventReader();
    await feed(r, [Buffer.from('first\nsecond\nthird\nfourth')]);
    assert.equal(r.failure('logship', 3).message, 'the logship sidecar failed with exit code 3: second | third | fourth');
  });
});
