import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadPcap } from '../pcap-lib.js';
import { CaptureSummarizer } from '../summary.js';
import { dns, tcp, udp } from '../testing/packets.js';
import { BoundedMap } from './bounded-map.js';
import { DnsTracker } from './dns.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const lib = loadPcap();

describe('summary trackers stay bounded', () => {
  it('a million unanswered DNS queries: the pending map stays at its cap, memory flat', () => {
    const CAP = 10_000;
    const N = 1_000_000;
    const t = new DnsTracker(lib, 200, CAP, 30_000);
    // Decoding is tested elsewhere (summary.test.ts): the bound is on what happens after it, so
    // the queries go in decoded. Each differs by client (the pending key is client|server|id).
    const before = heapUsed();
    let peak = 0;
    for (let i = 0; i < N; i++) {
      const client = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:40000`;
      // 10 microseconds apart: the whole run is 10 s of capture time, under the 30 s timeout,
      // so the count cap is what bounds it.
      t.query(client, '10.0.0.53:53', i & 0xffff, `q${i}.unanswered.test`, 1, i / 1e5, 1_700_000_000e6 + i * 10);
      if (t.pendingCount > peak) peak = t.pendingCount;
    }
    const grown = heapUsed() - before;
    assert.equal(t.queries, N);
    assert.equal(peak, CAP, 'pending never above the cap');
    assert.equal(t.pendingCount, CAP);
    assert.equal(t.dropped, N - CAP, 'every query pushed out is counted');
    const r = t.report();
    assert.equal(r.entries.length, 200);
    assert.equal(r.entries[0]?.rcode, null, 'reported as unanswered');
    // 10,000 pending queries are a few MiB; a million (unbounded) were several hundred.
    assert.ok(grown < 32 * 1024 * 1024, `heap grew by ${(grown / 1048576).toFixed(1)} MiB`);
  });

  it('gives up on a DNS query after the timeout (capture time); a late answer is a response without a query', () => {
    const t = new DnsTracker(lib, 200, 10_000, 30_000);
    const t0 = 1_700_000_000e6;
    t.message('10.0.0.1:5000', '10.0.0.53:53', dns(1, 'slow.test'), 0, t0);
    t.message('10.0.0.1:5001', '10.0.0.53:53', dns(2, 'fast.test'), 29, t0 + 29e6);
    assert.equal(t.pendingCount, 2);
    t.message('10.0.0.1:5002', '10.0.0.53:53', dns(3, 'next.test'), 31, t0 + 31e6);
    assert.equal(t.pendingCount, 2, 'the 31 s old query was given up');
    assert.equal(t.dropped, 1);
    t.message('10.0.0.53:53', '10.0.0.1:5000', dns(1, 'slow.test', { response: true, answers: ['10.1.1.1'] }), 32, t0 + 32e6);
    t.message('10.0.0.53:53', '10.0.0.1:5001', dns(2, 'fast.test', { response: true, answers: ['10.1.1.2'] }), 32, t0 + 32e6);
    const r = t.report();
    assert.deepEqual(
      r.entries.map((e) => [e.name, e.rcode, e.latencyMs]),
      [
        ['slow.test', null, null],
        ['fast.test', 'NOERROR', 3000],
        ['next.test', null, null],
        ['slow.test', 'NOERROR', null],
      ],
    );
    assert.equal(r.responses, 2);
  });

  it('drops the least recently active conversation past the cap and says so; totals keep its packets', () => {
    const s = new CaptureSummarizer(lib, { maxConversations: 2, maxTalkers: 3 });
    const frames = [
      udp('10.0.0.1', 1000, '10.0.0.9', 7, Buffer.from('a')),
      udp('10.0.0.2', 1000, '10.0.0.9', 7, Buffer.from('b')),
      udp('10.0.0.1', 1000, '10.0.0.9', 7, Buffer.from('c')), // 10.0.0.1 active again
      udp('10.0.0.3', 1000, '10.0.0.9', 7, Buffer.from('d')), // pushes out 10.0.0.2's conversation and talker
    ];
    frames.forEach((f, i) => s.addRecord('LINKTYPE_ETHERNET', 1_700_000_000, i, f.length, f.length, f));
    const r = s.snapshot();
    assert.equal(r.conversationCount, 3);
    assert.deepEqual(r.conversations.map((c) => c.a).sort(), ['10.0.0.1:1000', '10.0.0.3:1000']);
    assert.deepEqual(r.dropped, { conversations: 1, talkers: 1, dnsQueries: 0, httpRequests: 0 });
    assert.deepEqual(s.totals('udp'), { conversations: 3, packets: 4, bytes: frames.reduce((n, f) => n + f.length, 0) });
    assert.equal(s.held().conversations, 2);
  });

  it('caps HTTP requests waiting for a response, and forgets TCP state with the conversation', () => {
    const s = new CaptureSummarizer(lib, { maxPendingHttp: 5, maxConversations: 50 });
    const req = Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    for (let i = 0; i < 20; i++) {
      const f = tcp('10.0.0.1', 30000 + i, '10.0.0.2', 80, 1000, 1, { ack: true, psh: true }, req);
      s.addRecord('LINKTYPE_ETHERNET', 1_700_000_000, i, f.length, f.length, f);
    }
    assert.equal(s.held().pendingHttp, 5);
    assert.equal(s.snapshot().dropped.httpRequests, 15);
    assert.equal(s.snapshot().http.requests, 20);

    const small = new CaptureSummarizer(lib, { maxConversations: 3 });
    for (let i = 0; i < 10; i++) {
      const f = tcp('10.0.0.1', 30000 + i, '10.0.0.2', 80, 1000, 1, { syn: true });
      small.addRecord('LINKTYPE_ETHERNET', 1_700_000_000, i, f.length, f.length, f);
    }
    assert.deepEqual(small.held(), { conversations: 3, tcpFlows: 3, pendingDns: 0, pendingHttp: 0 });
  });
});

describe('BoundedMap', () => {
  it('keeps the most recently used entries', () => {
    const dropped: string[] = [];
    const m = new BoundedMap<string, number>(2, (k) => dropped.push(k));
    m.set('a', 1);
    m.set('b', 2);
    m.touch('a');
    m.set('c', 3);
    assert.deepEqual(dropped, ['b']);
    assert.equal(m.size, 2);
    assert.equal(m.dropped, 1);
    assert.deepEqual([...m.values()], [1, 3]);
  });
});
