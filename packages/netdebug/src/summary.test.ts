import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LINKTYPES, pcapGlobalHeader, pcapRecord, readPcap } from './pcap-file.js';
import { loadPcap } from './pcap-lib.js';
import { summarizeFile } from './read.js';
import { CaptureSummarizer, type CaptureSummary } from './summary.js';
import { dns, icmp, icmp6, tcp, udp } from './testing/packets.js';

const C = '10.0.0.1';
const S = '10.0.0.2';
const R = '10.0.0.53';
const req = Buffer.from('GET /missing?q=1 HTTP/1.1\r\nHost: web.test\r\nUser-Agent: t\r\n\r\n');
const res = Buffer.from('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');

/** Known traffic, in order: [seconds offset, frame]. */
function packets(): Array<[number, Buffer]> {
  return [
    // One HTTP exchange 10.0.0.1:40000 -> 10.0.0.2:80, with one retransmitted request segment.
    [0.0, tcp(C, 40000, S, 80, 1000, 0, { syn: true })],
    [0.001, tcp(S, 80, C, 40000, 5000, 1001, { syn: true, ack: true })],
    [0.002, tcp(C, 40000, S, 80, 1001, 5001, { ack: true })],
    [0.003, tcp(C, 40000, S, 80, 1001, 5001, { ack: true, psh: true }, req)],
    [0.203, tcp(C, 40000, S, 80, 1001, 5001, { ack: true, psh: true }, req)],
    [0.204, tcp(S, 80, C, 40000, 5001, 1001 + req.length, { ack: true, psh: true }, res)],
    [0.205, tcp(C, 40000, S, 80, 1001 + req.length, 5001 + res.length, { ack: true, fin: true })],
    [0.206, tcp(S, 80, C, 40000, 5001 + res.length, 1002 + req.length, { ack: true, fin: true })],
    // A refused connection: SYN answered by RST.
    [0.3, tcp(C, 40001, S, 81, 7000, 0, { syn: true })],
    [0.301, tcp(S, 81, C, 40001, 0, 7001, { rst: true, ack: true })],
    // DNS: one answered query, one NXDOMAIN, one with no response.
    [0.4, udp(C, 50000, R, 53, dns(0x1111, 'web.test'))],
    [0.405, udp(R, 53, C, 50000, dns(0x1111, 'web.test', { response: true, answers: [S] }))],
    [0.5, udp(C, 50001, R, 53, dns(0x2222, 'nope.test'))],
    [0.502, udp(R, 53, C, 50001, dns(0x2222, 'nope.test', { response: true, rcode: 3 }))],
    [0.6, udp(C, 50002, R, 53, dns(0x3333, 'slow.test'))],
    // ICMP port unreachable for a UDP datagram to 10.0.0.53:9.
    [0.7, icmp(R, C, 3, 3, Buffer.alloc(28))],
  ];
}

function pcapBytes(): Buffer {
  const t0 = 1_700_000_000;
  return Buffer.concat([
    pcapGlobalHeader(LINKTYPES['LINKTYPE_ETHERNET'] ?? 1, 65535),
    ...packets().map(([dt, frame]) => {
      const us = Math.round(dt * 1e6);
      return pcapRecord(t0 + Math.floor(us / 1e6), us % 1e6, frame);
    }),
  ]);
}

function checkSummary(s: CaptureSummary): void {
  const frames = packets();
  assert.equal(s.packets, frames.length);
  assert.equal(
    s.bytes,
    frames.reduce((n, [, f]) => n + f.length, 0),
  );
  assert.equal(s.undecoded, 0);
  assert.deepEqual(s.protocols, { tcp: 10, udp: 5, icmp: 1 });
  assert.equal(s.duration, 0.7);

  const http = s.conversations.find((c) => c.b === `${S}:80`);
  assert.ok(http, 'HTTP conversation');
  assert.equal(http.protocol, 'tcp');
  assert.equal(http.a, `${C}:40000`);
  assert.equal(http.packets, 8);
  assert.equal(http.packetsAtoB, 5);
  assert.equal(http.packetsBtoA, 3);
  assert.equal(http.retransmissions, 1);
  assert.equal(http.duration, 0.206);

  const refused = s.conversations.find((c) => c.b === `${S}:81`);
  assert.equal(refused?.resets, 1);
  assert.deepEqual(s.tcp, { resets: 1, retransmissions: 1 });
  assert.equal(s.conversationCount, 2 + 3 + 1);

  assert.equal(s.http.requests, 1, 'the retransmitted request is not counted twice');
  assert.deepEqual(s.http.byStatus, { '404': 1 });
  assert.deepEqual(s.http.byMethod, { GET: 1 });
  const h = s.http.entries[0];
  assert.equal(h?.host, 'web.test');
  assert.equal(h?.path, '/missing?q=1');
  assert.equal(h?.status, 404);
  assert.equal(h?.reason, 'Not Found');
  assert.equal(h?.client, `${C}:40000`);

  assert.equal(s.dns.queries, 3);
  assert.equal(s.dns.responses, 2);
  assert.deepEqual(s.dns.byRcode, { NOERROR: 1, NXDOMAIN: 1 });
  assert.deepEqual(
    s.dns.entries.map((d) => [d.name, d.type, d.rcode, d.answers]),
    [
      ['web.test', 'A', 'NOERROR', [`A ${S}`]],
      ['nope.test', 'A', 'NXDOMAIN', []],
      ['slow.test', 'A', null, []],
    ],
  );
  assert.equal(s.dns.entries[0]?.latencyMs, 5);

  assert.equal(s.icmp.errors, 1);
  assert.equal(s.icmp.entries[0]?.description, 'destination unreachable: port unreachable');
  assert.equal(s.icmp.entries[0]?.from, R);

  const top = s.topTalkers[0];
  assert.equal(top?.address, C, 'the client took part in every packet');
  assert.equal(top?.packets, frames.length);
}

describe('capture summary (pcap library decoders on recorded bytes)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ds-summary-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads back the records it writes', () => {
    const { info, records, truncatedTail } = readPcap(pcapBytes());
    assert.equal(info.linkType, 1);
    assert.equal(records.length, packets().length);
    assert.equal(truncatedTail, false);
    assert.deepEqual(records[3]?.data, packets()[3]?.[1]);
    const cut = readPcap(pcapBytes().subarray(0, pcapBytes().length - 5));
    assert.equal(cut.records.length, packets().length - 1);
    assert.equal(cut.truncatedTail, true);
  });

  it('summarizes packets fed one by one', () => {
    const s = new CaptureSummarizer(loadPcap());
    for (const r of readPcap(pcapBytes()).records) s.addRecord('LINKTYPE_ETHERNET', r.tsSec, r.tsUsec, r.caplen, r.len, r.data);
    checkSummary(s.snapshot());
    assert.deepEqual(s.totals('tcp'), {
      conversations: 2,
      packets: 10,
      bytes: packets()
        .slice(0, 10)
        .reduce((n, [, f]) => n + f.length, 0),
    });
  });

  it('summarizes a file read with libpcap, the same way', async () => {
    const file = join(dir, 'known.pcap');
    writeFileSync(file, pcapBytes());
    checkSummary(await summarizeFile({ path: file }));
  });

  it('applies a BPF filter while reading', async () => {
    const file = join(dir, 'known2.pcap');
    writeFileSync(file, pcapBytes());
    const s = await summarizeFile({ path: file, filter: 'udp port 53' });
    assert.equal(s.packets, 5);
    assert.equal(s.dns.queries, 3);
    await assert.rejects(summarizeFile({ path: file, filter: 'udp prot 53' }), /bad capture filter/);
  });

  it('classifies ICMPv6 errors', () => {
    const s = new CaptureSummarizer(loadPcap());
    const f = icmp6('2001:db8::1', '2001:db8::2', 1, 4, Buffer.alloc(48));
    s.addRecord('LINKTYPE_ETHERNET', 1, 0, f.length, f.length, f);
    const r = s.snapshot();
    assert.equal(r.protocols['icmpv6'], 1);
    assert.equal(r.icmp.errors, 1);
    assert.equal(r.icmp.entries[0]?.description, 'destination unreachable: port unreachable');
  });

  it('counts truncated packets it cannot decode instead of failing', () => {
    const s = new CaptureSummarizer(loadPcap());
    const frame = packets()[3]?.[1] as Buffer;
    s.addRecord('LINKTYPE_ETHERNET', 1, 0, 20, frame.length, frame.subarray(0, 20));
    assert.equal(s.snapshot().packets, 1);
    assert.equal(s.snapshot().undecoded, 1);
  });

  it('rejects files that are not captures, and missing files, with user errors', async () => {
    const bad = join(dir, 'bad.pcap');
    writeFileSync(bad, 'hello');
    await assert.rejects(summarizeFile({ path: bad }), /cannot read .* as a capture file/);
    await assert.rejects(summarizeFile({ path: join(dir, 'none.pcap') }), /no file/);
  });

  it('HTTP: a request line and its headers in separate segments still give the Host (and the status)', () => {
    const lib = loadPcap();
    const sum = new CaptureSummarizer(lib);
    const t0 = 1_700_000_000;
    const line = Buffer.from('GET /split HTTP/1.1\r\n');
    const headers = Buffer.from('Host: split.test\r\nUser-Agent: t\r\n\r\n');
    const cut1 = Buffer.from('POST /lat');
    const cut2 = Buffer.from('e HTTP/1.1\r\nHo');
    const cut3 = Buffer.from('st: late.test\r\n\r\n');
    const ok = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    let seq = 1001;
    const frames: Array<[number, Buffer]> = [];
    for (const d of [line, headers]) {
      frames.push([frames.length * 0.01, tcp(C, 41000, S, 80, seq, 5001, { ack: true, psh: true }, d)]);
      seq += d.length;
    }
    frames.push([0.05, tcp(S, 80, C, 41000, 5001, seq, { ack: true, psh: true }, ok)]);
    seq = 2001;
    for (const d of [cut1, cut2, cut3]) {
      frames.push([0.1 + frames.length * 0.01, tcp(C, 41001, S, 80, seq, 6001, { ack: true, psh: true }, d)]);
      seq += d.length;
    }
    frames.push([0.2, tcp(S, 80, C, 41001, 6001, seq, { ack: true, psh: true }, ok)]);
    for (const [dt, f] of frames) {
      const us = Math.round(dt * 1e6);
      const rec = pcapRecord(t0 + Math.floor(us / 1e6), us % 1e6, f);
      sum.add('LINKTYPE_ETHERNET', rec.subarray(0, 16), rec.subarray(16));
    }
    const s = sum.snapshot();
    assert.deepEqual(
      s.http.entries.map((e) => `${e.method} ${e.host} ${e.path} ${e.status}`),
      ['GET split.test /split 200', 'POST late.test /late 200'],
    );
    assert.equal(s.http.requests, 2);
  });

  it('a file cut short in the middle of a packet is summarised with the warning tshark gives', async () => {
    const whole = pcapBytes();
    const file = join(dir, 'cut.pcap');
    writeFileSync(file, whole.subarray(0, whole.length - 10));
    const s = await summarizeFile({ path: file });
    assert.deepEqual(s.warnings, [`The file "${file}" appears to have been cut short in the middle of a packet.`]);
    assert.equal(s.packets, packets().length - 1, 'every complete packet is still summarised');
    const intact = join(dir, 'intact.pcap');
    writeFileSync(intact, whole);
    assert.equal((await summarizeFile({ path: intact })).warnings, undefined);
    // A cut inside a record header, and one right after the file header, too.
    writeFileSync(file, whole.subarray(0, 24 + 7));
    assert.equal((await summarizeFile({ path: file })).warnings?.length, 1);
  });
});
