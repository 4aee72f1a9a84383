import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventReader } from '@dockside/engine';
import { EventWriter } from '@dockside/sidecar-kit';
import type { CaptureDone, CaptureProgress } from './events.js';
import { renderStats, renderSummary } from './render.js';
import type { CaptureSummary } from './summary.js';

describe('capture events and rendering', () => {
  it('travel through the sidecar protocol: progress, result, and plain text left alone', async () => {
    const reader = new EventReader<CaptureProgress, CaptureDone>();
    const seen: string[] = [];
    const r2 = new EventReader<CaptureProgress, CaptureDone>({ onEvent: (e) => seen.push(e.type === 'progress' ? e.name : e.type) });
    const lines: string[] = [];
    const w = new EventWriter<CaptureProgress, CaptureDone>({ write: (s: string) => lines.push(s) });
    const done: CaptureDone = { stats: { received: 5, captured: 4, dropped: 1, ifDropped: 0 }, stoppedBy: 'count', bytesWritten: 100 };
    w.progress('listening', { interface: 'eth0', linkType: 1, linkTypeName: 'LINKTYPE_ETHERNET', snaplen: 262144, filter: '' });
    w.result(done);
    const bytes = `tcpdump: listening on eth0\n${lines.join('')}`;
    reader.end(bytes);
    r2.end(bytes);
    await Promise.all([reader.finish(), r2.finish()]);
    assert.deepEqual(reader.result, done);
    assert.deepEqual(reader.textTail, ['tcpdump: listening on eth0']);
    assert.deepEqual(seen, ['listening', 'result']);
  });

  it('always reports captured, received and dropped', () => {
    assert.equal(renderStats({ received: 10, captured: 9, dropped: 1, ifDropped: 0 }), '9 packets captured, 10 received by filter, 1 dropped by kernel');
    assert.match(renderStats({ received: 10, captured: 9, dropped: 0, ifDropped: 2 }), /2 dropped by interface/);
  });

  it('renders every section of a summary', () => {
    const s: CaptureSummary = {
      packets: 3,
      bytes: 300,
      undecoded: 0,
      firstTime: null,
      lastTime: null,
      duration: 1,
      protocols: { tcp: 2, udp: 1 },
      conversationCount: 1,
      conversations: [
        {
          protocol: 'tcp',
          a: '10.0.0.1:1',
          b: '10.0.0.2:80',
          packets: 2,
          bytes: 200,
          packetsAtoB: 1,
          bytesAtoB: 100,
          packetsBtoA: 1,
          bytesBtoA: 100,
          relStart: 0,
          duration: 0.5,
          resets: 1,
          retransmissions: 0,
        },
      ],
      topTalkers: [{ address: '10.0.0.1', packets: 3, bytes: 300, packetsSent: 2, bytesSent: 200, packetsReceived: 1, bytesReceived: 100 }],
      dns: {
        queries: 1,
        responses: 1,
        byRcode: { NXDOMAIN: 1 },
        entries: [{ relTime: 0, client: 'c', server: 's', id: 1, name: 'x.test', type: 'A', rcode: 'NXDOMAIN', answers: [], latencyMs: 1 }],
      },
      http: {
        requests: 1,
        responses: 1,
        byMethod: { GET: 1 },
        byStatus: { '503': 1 },
        entries: [{ relTime: 0, client: 'c', server: 's', method: 'GET', host: 'h', path: '/p', version: '1.1', status: 503, reason: 'x', latencyMs: 2 }],
      },
      tcp: { resets: 1, retransmissions: 0 },
      icmp: { errors: 1, entries: [{ relTime: 0, from: 'r', to: 'c', type: 3, code: 1, description: 'destination unreachable: host unreachable' }] },
    };
    const text = renderSummary(s);
    for (const want of ['3 packets', '10.0.0.2:80', 'Top talkers', 'x.test', 'NXDOMAIN', 'GET', '/p', '503', '1 resets', 'host unreachable']) {
      assert.ok(text.includes(want), `${want} in:\n${text}`);
    }
  });
});
