/**
 * The network sinks against real receivers: Debian's rsyslog over syslog+tcp (RFC 5424 in RFC 6587
 * octet-counted frames), syslog+udp and syslog+tls (rsyslog's gtls driver, certificate checked
 * against a CA given with --tls-ca); an HTTP receiver in this test that is down (503) for 60 s
 * while the shipper's memory stays flat, and then takes gzipped NDJSON batches (every line once);
 * one that answers 400 (never retried); and a receiver that checks Loki's documented push schema
 * (no Loki server is available here).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { PIPELINE_DEFAULTS } from '@dockside/logship';
import { RUN_ID, cleanupRun, docker, IMAGE_TAG, requireEngine, runCli, startFixture, waitFor, freePort } from '../support/engine.js';
import { containerWorkingSet, expectedSeq, expectedWide, firstDiff, numberedLinesCmd, wideLinesCmd } from '../support/logship-fixtures.js';

const BASE = `dockside/base:${IMAGE_TAG}`;
const names: string[] = [];
const servers: Server[] = [];
const daemons: ChildProcess[] = [];
let tmp = '';

function shipperName(n: string): string {
  const full = `t${RUN_ID.replace(/[^a-z0-9]/g, '')}-${n}`;
  names.push(full);
  return full;
}

async function ship(args: string[]) {
  const r = await runCli(['logs', 'ship', ...args]);
  assert.equal(r.code, 0, `logs ship failed: ${r.stderr}`);
}

/** rsyslog with one template that shows the parsed RFC 5424 fields. */
function startRsyslog(dir: string, inputs: string, globals = ''): string {
  const out = join(dir, 'out.log');
  const conf = join(dir, 'rsyslog.conf');
  writeFileSync(
    conf,
    `${globals}
${inputs}
template(name="m" type="string" string="%inputname%|%hostname%|%app-name%|%msgid%|%pri%|%timereported:::date-rfc3339%|%structured-data%|%msg%\\n")
*.* action(type="omfile" file="${out}" template="m")
`,
  );
  const chk = spawnSync('rsyslogd', ['-N1', '-f', conf], { encoding: 'utf8' });
  assert.equal(chk.status, 0, `rsyslog config: ${chk.stderr}`);
  const d = spawn('rsyslogd', ['-n', '-iNONE', '-f', conf], { stdio: 'ignore' });
  daemons.push(d);
  return out;
}

function syslogMessages(file: string, app: string): Array<{ input: string; msgid: string; pri: string; sd: string; msg: string }> {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [input = '', , appName = '', msgid = '', pri = '', , sd = '', ...rest] = l.split('|');
      return { input, app: appName, msgid, pri, sd, msg: rest.join('|') };
    })
    .filter((m) => m.app === app);
}

async function waitListening(port: number): Promise<void> {
  const { connect } = await import('node:net');
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const s = connect(port, '127.0.0.1');
        s.once('connect', () => (s.destroy(), resolve(true)));
        s.once('error', () => resolve(false));
      }),
    `a receiver on 127.0.0.1:${port}`,
    10_000,
  );
}

function body(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

before(async () => {
  await requireEngine();
  tmp = mkdtempSync(join(tmpdir(), 'dockside-logship-sinks-'));
});

after(async () => {
  for (const n of names) await runCli(['logs', 'stop', '--name', n, '--forget']).catch(() => undefined);
  for (const d of daemons) d.kill('SIGTERM');
  for (const s of servers) s.close();
  cleanupRun();
  rmSync(tmp, { recursive: true, force: true });
});

describe('logs ship to network receivers', { timeout: 300_000 }, () => {
  it('delivers to a real rsyslog over syslog+tcp (octet-counted RFC 5424) and syslog+udp', async () => {
    const tcp = await freePort();
    const udp = await freePort();
    const dir = mkdtempSync(join(tmp, 'rs-'));
    const out = startRsyslog(
      dir,
      `module(load="imtcp")\nmodule(load="imudp")\ninput(type="imtcp" port="${tcp}" address="127.0.0.1")\ninput(type="imudp" port="${udp}" address="127.0.0.1")`,
    );
    await waitListening(tcp);
    const total = 3000;
    const app = startFixture('syslog', [BASE, ...numberedLinesCmd(total, 5000)]);
    await ship([app, '--to', `syslog+tcp://127.0.0.1:${tcp}`, '--network', 'host', '--name', shipperName('tcp')]);
    const small = startFixture('syslog-udp', [BASE, 'sh', '-c', 'echo "über udp"; echo "auf stderr" >&2; sleep 1000']);
    await ship([small, '--to', `syslog+udp://127.0.0.1:${udp}`, '--network', 'host', '--name', shipperName('udp')]);
    const want = expectedSeq(total);
    await waitFor(() => syslogMessages(out, app).length >= total + want.stderr.length && syslogMessages(out, small).length >= 2, 'rsyslog got every line', 60_000, 300);
    const got = syslogMessages(out, app);
    assert.ok(got.every((m) => m.input === 'imtcp'));
    assert.equal(
      firstDiff(
        got.filter((m) => m.msgid === 'stdout').map((m) => m.msg),
        want.stdout,
      ),
      'none',
    );
    assert.equal(
      firstDiff(
        got.filter((m) => m.msgid === 'stderr').map((m) => m.msg),
        want.stderr,
      ),
      'none',
    );
    assert.equal(got.find((m) => m.msgid === 'stderr')?.pri, '11', 'stderr is user.err');
    assert.equal(got.find((m) => m.msgid === 'stdout')?.pri, '14', 'stdout is user.info');
    assert.match(got[0]?.sd ?? '', /^\[dockside@32473 container_id="[0-9a-f]{64}" stream="std(out|err)"\]$/);
    const u = syslogMessages(out, small);
    assert.deepEqual(u.map((m) => [m.input, m.msgid, m.msg]).sort(), [
      ['imudp', 'stderr', 'auf stderr'],
      ['imudp', 'stdout', 'über udp'],
    ]);
  });

  it('syslog+tcp: docker kill of the shipper mid-stream, then ship again: no line lost, at most the last batch repeated', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmp, 'rs-kill-'));
    const out = startRsyslog(dir, `module(load="imtcp")\ninput(type="imtcp" port="${port}" address="127.0.0.1")`);
    await waitListening(port);
    // 10,000 lines/s for 5 s; the kill comes after about 3.5 s, when ~35,000 lines (more than one
    // whole batch of PIPELINE_DEFAULTS.maxBatchLines) went out: a shipper that forgot its
    // checkpoint would repeat them all.
    const total = 50_000;
    const app = startFixture('syslog-kill', [BASE, ...numberedLinesCmd(total, 10_000)]);
    const name = shipperName('syslog-kill');
    const url = `syslog+tcp://127.0.0.1:${port}`;
    await ship([app, '--to', url, '--network', 'host', '--name', name]);
    await waitFor(() => syslogMessages(out, app).length >= 30_000, 'rsyslog got 30,000 lines before the kill', 30_000, 100);
    const [id] = docker('ps', '-q', '--filter', `label=dockside.logship.name=${name}`).split('\n');
    assert.ok(id, 'the shipper runs');
    assert.equal(spawnSync('docker', ['kill', id], { stdio: 'ignore' }).status, 0, 'docker kill');
    const beforeRestart = syslogMessages(out, app).length;
    await ship([app, '--to', url, '--network', 'host', '--name', name]);
    const want = expectedSeq(total);
    const all = want.stdout.length + want.stderr.length;
    await waitFor(() => new Set(syslogMessages(out, app).map((m) => m.msg)).size >= all, 'rsyslog got every line after the restart', 60_000, 300);
    await new Promise((r) => setTimeout(r, 1500)); // nothing more may arrive
    const got = syslogMessages(out, app).map((m) => m.msg);
    const count = new Map<string, number>();
    for (const m of got) count.set(m, (count.get(m) ?? 0) + 1);
    const unknown = [...count.keys()].filter((m) => !/^(seq|err) \d+$/.test(m));
    assert.deepEqual(unknown, [], 'every message is a whole line');
    const lost = [...want.stdout, ...want.stderr].filter((m) => !count.has(m));
    assert.deepEqual(lost.slice(0, 10), [], `${lost.length} lines lost`);
    const repeated = [...count.entries()].filter(([, c]) => c > 1);
    const duplicates = repeated.reduce((n, [, c]) => n + c - 1, 0);
    assert.ok(
      repeated.every(([, c]) => c === 2),
      'a line repeats at most once',
    );
    assert.ok(duplicates <= PIPELINE_DEFAULTS.maxBatchLines, `${duplicates} lines repeated: more than one batch (${PIPELINE_DEFAULTS.maxBatchLines} lines)`);
    // The repeats are one batch: consecutive stdout numbers, right where the first shipper stopped.
    const nums = repeated
      .map(([m]) => m)
      .filter((m) => m.startsWith('seq '))
      .map((m) => Number(m.slice(4)))
      .sort((a, b) => a - b);
    assert.ok(
      nums.every((n, i) => i === 0 || n === (nums[i - 1] as number) + 1),
      `repeated stdout lines are not one run: ${nums.slice(0, 5).join(',')}...`,
    );
    assert.ok(nums.length === 0 || (nums.at(-1) as number) <= beforeRestart, 'repeats come from before the kill');
    process.stderr.write(`syslog kill: ${beforeRestart} lines before the restart, ${duplicates} repeated\n`);
  });

  it('delivers over syslog+tls to rsyslog (gtls), checking its certificate against --tls-ca', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmp, 'tls-'));
    const ca = join(dir, 'ca.pem');
    const caKey = join(dir, 'ca.key');
    const key = join(dir, 'key.pem');
    const csr = join(dir, 'req.csr');
    const cert = join(dir, 'cert.pem');
    const ext = join(dir, 'ext.cnf');
    writeFileSync(ext, 'subjectAltName=IP:127.0.0.1\n');
    const ossl = (...a: string[]) => assert.equal(spawnSync('openssl', a, { stdio: 'ignore' }).status, 0, `openssl ${a[0]}`);
    ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', ca, '-days', '2', '-subj', '/CN=dockside test CA');
    ossl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=127.0.0.1');
    ossl('x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', ext);
    const out = startRsyslog(
      dir,
      `module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.Authmode="anon")\ninput(type="imtcp" port="${port}" address="127.0.0.1")`,
      `global(DefaultNetstreamDriver="gtls" DefaultNetstreamDriverCAFile="${ca}" DefaultNetstreamDriverCertFile="${cert}" DefaultNetstreamDriverKeyFile="${key}")`,
    );
    await waitListening(port);
    const app = startFixture('tls', [BASE, 'sh', '-c', 'seq 1 200; sleep 1000']);
    await ship([app, '--to', `syslog+tls://127.0.0.1:${port}`, '--tls-ca', ca, '--network', 'host', '--name', shipperName('tls')]);
    await waitFor(() => syslogMessages(out, app).length >= 200, 'rsyslog got every line over TLS', 30_000, 300);
    assert.deepEqual(
      syslogMessages(out, app).map((m) => m.msg),
      Array.from({ length: 200 }, (_, i) => String(i + 1)),
    );
    // Without the CA the receiver's certificate is not trusted: the start fails, in one line.
    const r = await runCli(['logs', 'ship', app, '--to', `syslog+tls://127.0.0.1:${port}`, '--network', 'host', '--name', shipperName('tls-untrusted')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /cannot reach the syslog receiver .*(certificate|self.signed|issuer)/i);
  });

  it('http: a 60 s receiver outage (503): lines wait in Docker, memory stays bounded, every line arrives once after; a 400 is never retried', async () => {
    const batches = new Map<string, string[]>();
    let received = 0;
    let down = true;
    let refused = 0;
    let requests400 = 0;
    const srv = createHttpServer(async (req, res) => {
      const raw = await body(req);
      if (req.url === '/bad') {
        requests400++;
        return res.writeHead(400).end('bad batch');
      }
      if (down) {
        refused++;
        return res.writeHead(503).end('down');
      }
      assert.equal(req.headers['content-encoding'], 'gzip');
      assert.equal(req.headers['content-type'], 'application/x-ndjson');
      const lines = gunzipSync(raw).toString('utf8').split('\n').filter(Boolean);
      received += lines.length;
      batches.set(String(req.headers['x-dockside-batch']), lines);
      res.writeHead(200).end();
    });
    servers.push(srv);
    const port = await new Promise<number>((resolve) => srv.listen(0, '127.0.0.1', () => resolve((srv.address() as { port: number }).port)));
    // 3,000 lines/s of 200 characters (600 KB/s) for 62 s: more than the shipper's 16 MiB queue
    // within the first 30 s of the outage, so a shipper without back-pressure would keep growing.
    const width = 200;
    const rate = 3000;
    const total = rate * 62;
    const app = startFixture('http', [BASE, ...wideLinesCmd(total, rate, width)]);
    const name = shipperName('http');
    await ship([app, '--to', `http://127.0.0.1:${port}/ingest`, '--network', 'host', '--name', name]);
    const [shipperId] = docker('ps', '-q', '--no-trunc', '--filter', `label=dockside.logship.name=${name}`).split('\n');
    assert.ok(shipperId, 'the shipper runs');
    // The receiver is down for 60 s; the shipper's working set is sampled every second from the host.
    const t0 = Date.now();
    const samples: Array<{ s: number; bytes: number }> = [];
    while (Date.now() - t0 < 60_000) {
      samples.push({ s: (Date.now() - t0) / 1000, bytes: containerWorkingSet(shipperId) });
      await new Promise((r) => setTimeout(r, 1000));
    }
    const mib = (b: number) => +(b / 1024 ** 2).toFixed(1);
    const peak = (from: number, to: number) => Math.max(...samples.filter((x) => x.s >= from && x.s < to).map((x) => x.bytes));
    const early = peak(25, 35);
    const late = peak(35, 60);
    assert.ok(refused >= 10, `the shipper kept retrying through the outage (${refused} refused)`);
    assert.equal(received, 0, 'nothing accepted during the outage');
    // By 35 s the queue is full and the source paused: the last 25 s (15 MB more written by the
    // app) must not grow the shipper. Peak under half its 256 MiB limit.
    assert.ok(late - early < 8 * 1024 ** 2, `memory grew during the outage: peak ${mib(early)} MiB at 25-35 s, ${mib(late)} MiB at 35-60 s`);
    assert.ok(late < 128 * 1024 ** 2, `the shipper used ${mib(late)} MiB during the outage`);
    process.stderr.write(`http outage: shipper working set peak ${mib(early)} MiB at 25-35 s, ${mib(late)} MiB at 35-60 s (${samples.length} samples)\n`);
    down = false;
    const want = expectedWide(total, width);
    const shipped = () => [...batches.values()].flat().map((l) => JSON.parse(l) as { stream: string; message: string; container: string });
    await waitFor(() => received >= total, 'every line after the outage', 60_000, 300);
    await new Promise((r) => setTimeout(r, 1000)); // nothing more may arrive
    assert.equal(received, total, 'every line accepted exactly once (no batch repeated)');
    assert.equal(
      firstDiff(
        shipped().map((r) => r.message),
        want,
      ),
      'none',
    );
    const st = await runCli(['logs', 'status', '--name', name, '--json']);
    const status = JSON.parse(st.stdout)[0]?.status as { sinkStats: { retries: number } } | undefined;
    assert.ok((status?.sinkStats.retries ?? 0) >= 10, 'retries are counted in logs status');
    await runCli(['logs', 'stop', '--name', name, '--forget']);

    const small = startFixture('http400', [BASE, 'sh', '-c', 'seq 1 10; sleep 1000']);
    await ship([small, '--to', `http://127.0.0.1:${port}/bad`, '--network', 'host', '--name', shipperName('http400')]);
    await waitFor(() => requests400 >= 1, 'a request to the 400 receiver', 20_000);
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(requests400, 1, 'a batch answered with 400 is not sent again');
  });

  it('http: credentials in the URL (user info, query, fragment) reach the receiver and are shown nowhere', async () => {
    const seen: string[] = [];
    const srv = createHttpServer(async (req, res) => {
      await body(req);
      seen.push(`${req.url} ${req.headers.authorization ?? ''}`);
      res.writeHead(200).end();
    });
    servers.push(srv);
    const port = await new Promise<number>((resolve) => srv.listen(0, '127.0.0.1', () => resolve((srv.address() as { port: number }).port)));
    const app = startFixture('http-secret', [BASE, 'sh', '-c', 'echo one; sleep 1000']);
    const name = shipperName('http-secret');
    const url = `http://ops:pa55word@127.0.0.1:${port}/ingest?token=T0KEN-${RUN_ID}&tenant=t1#s1g`;
    const r = await runCli(['logs', 'ship', app, '--to', url, '--network', 'host', '--name', name]);
    assert.equal(r.code, 0, r.stderr);
    await waitFor(() => seen.length > 0, 'the receiver got a batch', 30_000, 200);
    assert.match(seen[0] ?? '', new RegExp(`^/ingest\\?token=T0KEN-${RUN_ID}&tenant=t1 Basic `), 'the receiver gets the query and the credentials');
    const status = await runCli(['logs', 'status', '--name', name]);
    const statusJson = await runCli(['logs', 'status', '--name', name, '--json']);
    const [id] = docker('ps', '-q', '--filter', `label=dockside.logship.name=${name}`).split('\n');
    const inspect = docker('inspect', id!);
    for (const [where, text] of Object.entries({ stdout: r.stdout + r.stderr, status: status.stdout, 'status --json': statusJson.stdout, 'docker inspect': inspect })) {
      for (const secret of [`T0KEN-${RUN_ID}`, 'pa55word', 's1g', 'tenant=t1']) assert.ok(!text.includes(secret), `${where} shows ${secret}`);
    }
    assert.match(r.stdout, new RegExp(`shipping to http://\\*\\*\\*@127\\.0\\.0\\.1:${port}/ingest\\?token=\\*\\*\\*&tenant=\\*\\*\\*#\\*\\*\\*`));
  });

  it('loki: pushes in the documented schema (JSON, streams with labels, [unix ns string, line] values)', async () => {
    const pushes: unknown[] = [];
    const problems: string[] = [];
    const srv = createHttpServer(async (req, res) => {
      const raw = await body(req);
      if (req.method !== 'POST' || req.url !== '/loki/api/v1/push') problems.push(`${req.method} ${req.url}`);
      if (req.headers['content-type'] !== 'application/json') problems.push(`content-type ${req.headers['content-type']}`);
      const text = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
      pushes.push(JSON.parse(text));
      res.writeHead(204).end();
    });
    servers.push(srv);
    const port = await new Promise<number>((resolve) => srv.listen(0, '127.0.0.1', () => resolve((srv.address() as { port: number }).port)));
    const app = startFixture('loki', [
      '--label',
      'com.docker.compose.project=shop',
      '--label',
      'com.docker.compose.service=web',
      BASE,
      'sh',
      '-c',
      'seq 1 300; echo oops >&2; sleep 1000',
    ]);
    await ship([app, '--to', `loki://127.0.0.1:${port}`, '--network', 'host', '--name', shipperName('loki')]);
    type Push = { streams: Array<{ stream: Record<string, string>; values: Array<[string, string]> }> };
    const all = () => (pushes as Push[]).flatMap((p) => p.streams);
    await waitFor(() => all().flatMap((s) => s.values).length >= 301, 'every line pushed', 30_000, 300);
    assert.deepEqual(problems, []);
    for (const s of all()) {
      assert.deepEqual(Object.keys(s.stream).sort(), ['compose_project', 'compose_service', 'container', 'stream']);
      assert.equal(s.stream['container'], app);
      assert.equal(s.stream['compose_project'], 'shop');
      for (const [ts, line] of s.values) {
        assert.match(ts, /^\d{19}$/, 'a unix epoch in nanoseconds, as a string');
        assert.equal(typeof line, 'string');
      }
      const times = s.values.map((v) => BigInt(v[0]));
      assert.ok(
        times.every((t, i) => i === 0 || t >= (times[i - 1] as bigint)),
        'values in time order within a stream',
      );
    }
    const out = all()
      .filter((s) => s.stream['stream'] === 'stdout')
      .flatMap((s) => s.values.map((v) => v[1]));
    assert.deepEqual(
      out,
      Array.from({ length: 300 }, (_, i) => String(i + 1)),
    );
    assert.deepEqual(
      all()
        .filter((s) => s.stream['stream'] === 'stderr')
        .flatMap((s) => s.values.map((v) => v[1])),
      ['oops'],
    );
  });
});
