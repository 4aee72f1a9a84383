/** Human rendering of a capture summary and of capture statistics. */
import { formatBytes, formatDuration, renderTable } from '@dockside/common';
import type { CaptureSummary } from './summary.js';

export interface CaptureStats {
  /** Packets that passed the filter and were handed to dockside (libpcap ps_recv). */
  received: number;
  /** Packets written to the output / decoded. */
  captured: number;
  /** Dropped by the kernel because the buffer was full (ps_drop). */
  dropped: number;
  /** Dropped by the interface or driver (ps_ifdrop). */
  ifDropped: number;
}

export function renderStats(s: CaptureStats): string {
  return `${s.captured} packets captured, ${s.received} received by filter, ${s.dropped} dropped by kernel${s.ifDropped ? `, ${s.ifDropped} dropped by interface` : ''}`;
}

/** `reading web.pcap: 45%, 450000 packets, 12.3 MiB/s, ETA 4s` (a terminal progress line). */
export function readProgressLine(file: string, done: number, total: number, packets: number, elapsedMs: number): string {
  const rate = done / Math.max(elapsedMs / 1000, 0.001);
  const eta = rate > 0 ? ((total - done) / rate) * 1000 : 0;
  return `reading ${file}: ${Math.min(99, Math.floor((done / Math.max(total, 1)) * 100))}%, ${packets} packets, ${formatBytes(rate)}/s, ETA ${formatDuration(eta)}`;
}

/** The refreshed line while a capture writes a file on a terminal. */
export function liveStatsLine(s: CaptureStats, bytesWritten: number | undefined): string {
  return `${renderStats(s)}${bytesWritten !== undefined ? `, ${formatBytes(bytesWritten)} written` : ''}`;
}

function secs(n: number): string {
  return `${n.toFixed(3)}s`;
}

export function renderSummary(s: CaptureSummary): string {
  const out: string[] = [];
  const protos = Object.entries(s.protocols)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  for (const w of s.warnings ?? []) out.push(`warning: ${w}`);
  out.push(`${s.packets} packets, ${formatBytes(s.bytes)} over ${secs(s.duration)}${protos ? ` (${protos})` : ''}${s.undecoded ? `; ${s.undecoded} not decoded` : ''}`);

  out.push('', `Conversations (${s.conversations.length} of ${s.conversationCount}, by bytes)`);
  if (s.conversations.length) {
    out.push(
      renderTable(
        ['PROTO', 'A', 'B', 'PACKETS', 'BYTES', 'A->B', 'B->A', 'START', 'DURATION'],
        s.conversations.map((c) => [
          c.protocol,
          c.a,
          c.b,
          String(c.packets),
          formatBytes(c.bytes),
          `${c.packetsAtoB}/${formatBytes(c.bytesAtoB)}`,
          `${c.packetsBtoA}/${formatBytes(c.bytesBtoA)}`,
          secs(c.relStart),
          secs(c.duration),
        ]),
        [3, 4, 5, 6, 7, 8],
      ),
    );
  } else out.push('  none');

  out.push('', 'Top talkers');
  if (s.topTalkers.length) {
    out.push(
      renderTable(
        ['ADDRESS', 'PACKETS', 'BYTES', 'SENT', 'RECEIVED'],
        s.topTalkers.slice(0, 10).map((t) => [t.address, String(t.packets), formatBytes(t.bytes), formatBytes(t.bytesSent), formatBytes(t.bytesReceived)]),
        [1, 2, 3, 4],
      ),
    );
  } else out.push('  none');

  const rc = Object.entries(s.dns.byRcode)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  out.push('', `DNS: ${s.dns.queries} queries, ${s.dns.responses} responses${rc ? ` (${rc})` : ''}`);
  if (s.dns.entries.length) {
    out.push(
      renderTable(
        ['TIME', 'CLIENT', 'SERVER', 'NAME', 'TYPE', 'RCODE', 'ANSWERS', 'LATENCY'],
        s.dns.entries.map((d) => [
          secs(d.relTime),
          d.client,
          d.server,
          d.name,
          d.type,
          d.rcode ?? 'no response',
          d.answers.join(', ') || '-',
          d.latencyMs === null ? '-' : `${d.latencyMs.toFixed(1)}ms`,
        ]),
        [7],
      ),
    );
  }

  const st = Object.entries(s.http.byStatus)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  out.push('', `HTTP: ${s.http.requests} requests, ${s.http.responses} responses${st ? ` (${st})` : ''}`);
  if (s.http.entries.length) {
    out.push(
      renderTable(
        ['TIME', 'CLIENT', 'SERVER', 'METHOD', 'HOST', 'PATH', 'STATUS', 'LATENCY'],
        s.http.entries.map((h) => [
          secs(h.relTime),
          h.client,
          h.server,
          h.method,
          h.host ?? '-',
          h.path.length > 60 ? `${h.path.slice(0, 57)}...` : h.path,
          h.status === null ? 'no response' : String(h.status),
          h.latencyMs === null ? '-' : `${h.latencyMs.toFixed(1)}ms`,
        ]),
        [7],
      ),
    );
  }

  out.push('', `TCP: ${s.tcp.resets} resets, ${s.tcp.retransmissions} retransmissions`);
  const withProblems = s.conversations.filter((c) => c.resets || c.retransmissions);
  for (const c of withProblems) out.push(`  ${c.a} <-> ${c.b}: ${c.resets} resets, ${c.retransmissions} retransmissions`);

  out.push('', `ICMP errors: ${s.icmp.errors}`);
  for (const e of s.icmp.entries) out.push(`  ${secs(e.relTime)} ${e.from} -> ${e.to}: ${e.description}`);

  // Only when a tracker outgrew its cap (summary.ts SUMMARY_LIMITS): what it let go of.
  const d = s.dropped;
  const dropped = d
    ? [
        [d.conversations, 'conversations'],
        [d.talkers, 'talkers'],
        [d.dnsQueries, 'DNS queries no longer awaited'],
        [d.httpRequests, 'HTTP requests no longer awaited'],
      ].filter(([n]) => n)
    : [];
  if (dropped.length) out.push('', `Dropped to keep memory bounded: ${dropped.map(([n, what]) => `${n} ${what}`).join(', ')}`);
  return out.join('\n');
}
