#!/usr/bin/env node
// Benchmark of dockside netdebug against its peers, side by side in one run:
//   1. attach latency: `dockside debug app -- ip -brief addr` vs
//      `docker run --rm --net container:app <netdebug image> ip -brief addr` (target <= 1.3x)
//   2. capture of a steady 20,000 small packets/s for 10 s inside the app's namespace (iperf3 UDP
//      on its loopback): dockside capture vs tcpdump, at the same time on the same traffic
//      (target: no more drops than tcpdump, zero at this rate)
//   3. offline summary of a 1,000,000-packet pcap: `dockside capture --read --summary` vs
//      `tshark -q -z conv,tcp -r` (target: >= 1.0x tshark's speed, same conversation totals)
// Usage: npm run bench:netdebug   (env: BENCH_RUNS=10 attach runs, BENCH_PACKETS=1000000)
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(root, 'packages', 'cli', 'bin', 'run.js');
const { version } = JSON.parse(readFileSync(join(root, 'packages', 'cli', 'package.json'), 'utf8'));
const TAG = process.env.DOCKSIDE_IMAGE_TAG || version;
const IMAGE = `dockside/netdebug:${TAG}`;
const BASE = `dockside/base:${TAG}`;
const RUN = `bench-${randomBytes(3).toString('hex')}`;
const LABEL = `dockside.bench=${RUN}`;
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const PACKETS = Number(process.env.BENCH_PACKETS ?? 1_000_000);
const PPS = 20_000;
const SECONDS = 10;
const tmp = mkdtempSync(join(tmpdir(), 'ds-bench-netdebug-'));

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${(r.stderr || '').trim().slice(-500)}`);
  return r;
}
function timed(cmd, args, opts) {
  const t0 = process.hrtime.bigint();
  const r = sh(cmd, args, opts);
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, r };
}
function start(cmd, args) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  const done = new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })));
  return { child, done, err: () => err };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(fn, what, ms = 30_000) {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const rows = [];
const app = `dsbench-${RUN}-app`;
try {
  sh('docker', ['run', '-d', '--name', app, '--label', LABEL, BASE, 'node', '-e', "require('http').createServer((q,s)=>s.end('ok')).listen(8080)"]);

  // 1. Attach latency.
  const ds = [];
  const peer = [];
  const boot = [];
  sh('node', [CLI, 'debug', app, '--', 'ip', '-brief', 'addr']); // warm caches
  for (let i = 0; i < RUNS; i++) {
    ds.push(timed('node', [CLI, 'debug', app, '--', 'ip', '-brief', 'addr']).ms);
    peer.push(timed('docker', ['run', '--rm', '--net', `container:${app}`, '--entrypoint', 'ip', IMAGE, '-brief', 'addr']).ms);
    boot.push(timed('node', [CLI, '--version']).ms);
  }
  rows.push([
    'attach: debug -- ip -brief addr (median ms)',
    median(ds).toFixed(0),
    median(peer).toFixed(0),
    `${(median(ds) / median(peer)).toFixed(2)}x`,
    'dockside/docker run, target <= 1.3x',
  ]);
  const engineSide = median(ds) - median(boot);
  rows.push([
    'attach without CLI start-up (debug - `dockside --version`)',
    engineSide.toFixed(0),
    median(peer).toFixed(0),
    `${(engineSide / median(peer)).toFixed(2)}x`,
    `Node + oclif start-up: ${median(boot).toFixed(0)} ms`,
  ]);

  // 2. Capture at 20k small packets/s for 10 s, both capturers on the same traffic.
  const server = `dsbench-${RUN}-iperf`;
  sh('docker', ['run', '-d', '--name', server, '--label', LABEL, '--net', `container:${app}`, '--entrypoint', 'iperf3', IMAGE, '-s', '-B', '127.0.0.1', '-p', '5299']);
  const pcapFile = join(tmp, 'live.pcap');
  const filter = 'udp port 5299';
  const dsCap = start('node', [CLI, 'capture', app, '-i', 'lo', '-f', filter, '-d', `${SECONDS + 4}s`, '-w', pcapFile, '--json']);
  const tcpdump = start('docker', [
    'run',
    '--rm',
    '--label',
    LABEL,
    '--net',
    `container:${app}`,
    '--cap-add',
    'NET_RAW',
    '--cap-add',
    'NET_ADMIN',
    '--entrypoint',
    'sh',
    IMAGE,
    '-c',
    `timeout -s INT ${SECONDS + 4} tcpdump -i lo -w /tmp/t.pcap '${filter}'`,
  ]);
  await until(() => /capturing on/.test(dsCap.err()) && /listening on/.test(tcpdump.err()), 'both captures to listen');
  await sleep(1000);
  const gen = sh('docker', [
    'run',
    '--rm',
    '--label',
    LABEL,
    '--net',
    `container:${app}`,
    '--entrypoint',
    'iperf3',
    IMAGE,
    '-c',
    '127.0.0.1',
    '-p',
    '5299',
    '-u',
    '-l',
    '64',
    '-b',
    `${PPS * 64 * 8}`,
    '-t',
    String(SECONDS),
    '--pacing-timer',
    '100',
    '-J',
  ]);
  const sent = JSON.parse(gen.stdout).end.sum.packets;
  const [d, t] = await Promise.all([dsCap.done, tcpdump.done]);
  sh('docker', ['rm', '-f', server]);
  const dj = JSON.parse(d.out);
  const tCaptured = Number(/(\d+) packets captured/.exec(t.err)?.[1] ?? NaN);
  const tDropped = Number(/(\d+) packets dropped by kernel/.exec(t.err)?.[1] ?? NaN);
  const pps = (sent / SECONDS).toFixed(0);
  rows.push([
    `capture ${pps} pps x ${SECONDS}s: captured (of ${sent} sent + control)`,
    String(dj.stats.captured),
    String(tCaptured),
    `${(dj.stats.captured / tCaptured).toFixed(3)}x`,
    'dockside/tcpdump',
  ]);
  rows.push(['capture: dropped by kernel', String(dj.stats.dropped), String(tDropped), dj.stats.dropped <= tDropped ? 'ok' : 'MORE', 'target: <= tcpdump, 0']);

  // 3. Offline summary of a 1,000,000-packet pcap.
  // Test data is not compiled into dist/: load the packet builder from its TypeScript source.
  const { tsImport } = await import('tsx/esm/api');
  const { tcp } = await tsImport(join(root, 'packages', 'netdebug', 'src', 'testing', 'packets.ts'), import.meta.url);
  const { pcapGlobalHeader, pcapRecord } = await import(join(root, 'packages', 'netdebug', 'dist', 'pcap-file.js'));
  const big = join(tmp, 'big.pcap');
  const fd = openSync(big, 'w');
  writeSync(fd, pcapGlobalHeader(1, 65535));
  const CONVS = 1000;
  const perConv = Math.floor(PACKETS / CONVS);
  const payload = Buffer.from('x'.repeat(32));
  let batch = [];
  let written = 0;
  for (let i = 0; i < perConv; i++) {
    for (let c = 0; c < CONVS; c++) {
      const cl = `10.0.${(c >> 8) & 255}.${c & 255}`;
      const fromClient = i % 2 === 0;
      const frame = fromClient
        ? tcp(cl, 30000 + c, '10.9.0.1', 80, 1000 + (i >> 1) * 32, 5000, { ack: true, psh: true }, payload)
        : tcp('10.9.0.1', 80, cl, 30000 + c, 5000, 1000 + ((i + 1) >> 1) * 32, { ack: true });
      const us = i * 1000 + c;
      batch.push(pcapRecord(1_700_000_000 + Math.floor(us / 1e6), us % 1e6, frame));
      written++;
    }
    if (batch.length >= 20000) {
      writeSync(fd, Buffer.concat(batch));
      batch = [];
    }
  }
  if (batch.length) writeSync(fd, Buffer.concat(batch));
  closeSync(fd);
  const sizeMiB = (statSync(big).size / 1048576).toFixed(0);
  const mine = timed('node', [CLI, 'capture', '--read', big, '--summary', '--json', '--limit', String(CONVS * 2)]);
  const theirs = timed('tshark', ['-q', '-z', 'conv,tcp', '-r', big]);
  const s = JSON.parse(mine.r.stdout).summary;
  const tcpConvs = s.conversations.filter((c) => c.protocol === 'tcp');
  const myTotals = { convs: tcpConvs.length, frames: tcpConvs.reduce((n, c) => n + c.packets, 0), bytes: tcpConvs.reduce((n, c) => n + c.bytes, 0) };
  const tsTotals = { convs: 0, frames: 0, bytes: 0 };
  for (const line of theirs.r.stdout.split('\n')) {
    const m = /<->\s+\S+\s+\d+\s+[\d,]+ \w+\s+\d+\s+[\d,]+ \w+\s+(\d+)\s+([\d,]+) (bytes|kB|MB)/.exec(line);
    if (!m) continue;
    tsTotals.convs++;
    tsTotals.frames += Number(m[1]);
    tsTotals.bytes += Number(m[2].replace(/,/g, '')) * (m[3] === 'kB' ? 1000 : m[3] === 'MB' ? 1e6 : 1);
  }
  rows.push([
    `offline summary, ${written} packets (${sizeMiB} MiB), seconds`,
    (mine.ms / 1000).toFixed(2),
    (theirs.ms / 1000).toFixed(2),
    `${(theirs.ms / mine.ms).toFixed(2)}x speed`,
    'tshark/dockside time, target >= 1.0x',
  ]);
  rows.push([
    'offline summary: tcp conversations / frames',
    `${myTotals.convs} / ${myTotals.frames}`,
    `${tsTotals.convs} / ${tsTotals.frames}`,
    myTotals.convs === tsTotals.convs && myTotals.frames === tsTotals.frames ? 'same' : 'DIFFERENT',
    `bytes ${myTotals.bytes} vs ${tsTotals.bytes}${tsTotals.bytes === myTotals.bytes ? '' : ' (tshark rounds kB/MB)'}`,
  ]);
} finally {
  const ids = spawnSync('docker', ['ps', '-aq', '--filter', `label=${LABEL}`], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean);
  const side = spawnSync('docker', ['ps', '-aq', '--filter', `label=dockside.target.name=${app}`], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean);
  if (ids.length + side.length) spawnSync('docker', ['rm', '-f', ...ids, ...side], { stdio: 'ignore' });
  rmSync(tmp, { recursive: true, force: true });
}

const head = ['measure', 'dockside', 'peer', 'ratio', 'note'];
const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
const line = (r) =>
  r
    .map((c, i) => String(c).padEnd(w[i]))
    .join('  ')
    .trimEnd();
console.log(line(head));
for (const r of rows) console.log(line(r));
