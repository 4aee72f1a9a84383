import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import type Dockerode from 'dockerode';
import { bindClient } from '../connection/client.js';
import type { Engine } from '../connection/engine.js';
import { followEvents, type EngineEvent } from './stream.js';

describe('followEvents', () => {
  it('delivers events split across chunks, reconnects after the stream drops, and says so each time', async () => {
    const streams: PassThrough[] = [];
    let calls = 0;
    const standIn = {
      getEvents: async () => {
        calls++;
        if (calls === 2) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        const s = new PassThrough();
        streams.push(s);
        return s;
      },
    };
    const engine = bindClient({ endpoint: { kind: 'unix', display: 'test' } } as unknown as Engine, async () => standIn as unknown as Dockerode);
    const got: EngineEvent[] = [];
    let connects = 0;
    let drops = 0;
    const f = followEvents(engine, { filters: {}, onEvent: (e) => got.push(e), onConnect: () => connects++, onDrop: () => drops++, maxBackoffMs: 20 });
    const until = async (cond: () => boolean) => {
      for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
      assert.ok(cond());
    };
    await until(() => streams.length === 1);
    const line = Buffer.from(`${JSON.stringify({ Type: 'container', Action: 'start', Actor: { ID: 'x', Attributes: { name: 'café' } } })}\n`);
    const mid = line.indexOf(Buffer.from('é')) + 1; // between the two bytes of é
    streams[0]?.write(line.subarray(0, mid));
    streams[0]?.write(line.subarray(mid));
    await until(() => got.length === 1);
    assert.equal(got[0]?.Actor?.Attributes?.['name'], 'café');
    streams[0]?.end(); // the engine restarts: the stream ends, one attempt fails, the next connects
    await until(() => streams.length === 2 && connects === 2);
    assert.equal(drops, 2);
    f.stop();
  });
});
