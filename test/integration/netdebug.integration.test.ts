/**
 * netdebug against a real engine: `dockside debug` (commands, exit codes, --pid, a TTY shell with
 * Ctrl-C) and `dockside capture` (-w file, -w -, --summary, --read), checked with tshark as an
 * independent reader. Traffic: an HTTP app on a test network that resolves names through a dnsmasq
 * resolver on the same network, driven from inside the app's namespace with `dockside debug`.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readPcap, type CaptureSummary } from '@dockside/netdebug';
import { CLI, IMAGE_TAG, RUN_ID, RUN_LABEL, cleanupRun, docker, requireEngine, runCli, spawnCli, startFixture, waitFor } from '../support/engine.js';
import {
  APP_SCRIPT,
  containerIp,
  createNetwork,
  dnsmasqImage,
  removeNetwork,
  runCliBinary,
  scratchBusyboxImage,
  sidecarsFor,
  tshark,
  tsharkConversations,
} from '../support/netdebug-fixtures.js';

const BASE = `dockside/base:${IMAGE_TAG}`;

const children: Array<ReturnType<typeof spawnCli>> = [];

/** Start `dockside capture ...`, resolve once it is listening. */
async function startCapture(args: string[]) {
  const child = spawnCli(['capture', ...args]);
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  await waitFor(() => /capturing on /.test(stderr) || child.exitCode !== null, 'the capture to start listening', 30_000);
  assert.match(stderr, /capturing on /, `capture did not start: ${stderr}`);
  return { child, closed, out: () => stdout, err: () => stderr };
}

describe('netdebug: debug and capture', { timeout: 600_000 }, () => {
  let net = '';
  let app = '';
  let resolver = '';
  let resolverIp = '';
  let dir = '';

  before(async () => {
    await requireEngine();
    dir = mkdtempSync(join(tmpdir(), 'ds-netdebug-'));
    net = createNetwork('net');
    resolver = startFixture('dns', ['--network', net, dnsmasqImage(), '--address=/web.test/10.1.2.3']);
    resolverIp = containerIp(resolver);
    app = startFixture('app', ['--network', net, '-e', `DNS_IP=${resolverIp}`, BASE, 'node', '-e', APP_SCRIPT]);
    await waitFor(() => docker('logs', app).includes('listening'), 'the app to listen');
  });

  after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    cleanupRun();
    removeNetwork(net);
    rmSync(dir, { recursive: true, force: true });
  });

  it('debug runs a command in the target network namespace, relays output and exit code, and leaves nothing', async () => {
    const r = await runCli(['debug', app, '--', 'ip', '-brief', 'addr']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`eth0\\S*\\s+UP\\s+${containerIp(app).replace(/\./g, '\\.')}/`));
    const served = await runCli(['debug', app, '--', 'curl', '-s', 'http://127.0.0.1:8080/']);
    assert.equal(served.stdout, 'ok\n', 'the sidecar reaches the app on its loopback');
    const code = await runCli(['debug', app, '--', 'sh', '-c', 'echo to-stderr >&2; exit 7']);
    assert.equal(code.code, 7);
    assert.match(code.stderr, /to-stderr/);
    assert.deepEqual(sidecarsFor(app), []);
  });

  it('debug and capture work on a target that has just started', async () => {
    const fresh = startFixture('fresh', ['--network', net, BASE, 'sleep', '300']);
    const [dbg, cap] = await Promise.all([
      runCli(['debug', fresh, '--', 'ip', '-brief', 'addr', 'show', 'eth0']),
      runCli(['capture', fresh, '--duration', '1s', '--summary', '--json']),
    ]);
    assert.equal(dbg.code, 0, dbg.stderr);
    assert.match(dbg.stdout, new RegExp(containerIp(fresh).replace(/\./g, '\\.')));
    assert.equal(cap.code, 0, cap.stderr);
    assert.equal(JSON.parse(cap.stdout).stoppedBy, 'duration');
  });

  it('debug and capture join a paused target (its network is there) with a note on stderr; debug takes one container, the command after --', async () => {
    const paused = startFixture('paused', ['--network', net, BASE, 'sleep', '300']);
    docker('pause', paused);
    try {
      const dbg = await runCli(['debug', paused, '--', 'ip', '-brief', 'addr', 'show', 'eth0']);
      assert.equal(dbg.code, 0, dbg.stderr);
      assert.match(dbg.stdout, new RegExp(containerIp(paused).replace(/\./g, '\\.')), "the paused container's own interface");
      assert.match(dbg.stderr, new RegExp(`^note: container "${paused}" is paused: its network is joined, but its own processes are frozen`));
      // Traffic to the paused container still reaches its interface: the capture sees the pings.
      const cap = await startCapture([paused, '-i', 'eth0', '--filter', 'icmp', '-c', '2', '--summary', '--json']);
      await runCli(['debug', app, '--', 'ping', '-c', '3', '-i', '0.3', containerIp(paused)]);
      assert.equal(await cap.closed, 0, cap.err());
      assert.match(cap.err(), /note: container ".*" is paused/);
      assert.equal((JSON.parse(cap.out()) as { stats: { captured: number } }).stats.captured, 2);
    } finally {
      docker('unpause', paused);
    }
    // `debug web db`: not "run db in web".
    const two = await runCli(['debug', app, paused]);
    assert.equal(two.code, 2);
    assert.match(two.stderr, /^dockside: one container only, and the command after --/);
    assert.match(two.stderr, new RegExp(`hint: e\\.g\\. \`dockside debug ${app} -- ${paused}\``));
    assert.deepEqual(sidecarsFor(app), []);
  });

  it('debug --pid sees the target processes and its file system at /proc/1/root', async () => {
    const r = await runCli(['debug', app, '--pid', '--', 'sh', '-c', 'ps -o pid,args ax; cat /proc/1/root/etc/debian_version; ss -tlnp']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\s*1 node -e/m, 'the app is PID 1 in the joined namespace');
    assert.match(r.stdout, /^\d+\.\d+/m, 'the target file system is readable');
    assert.match(r.stdout, /:8080.*users:\(\("node"/, 'ss -p names the listening process');
    const other = await runCli(['debug', app, '--image', BASE, '--', 'cat', '/etc/debian_version']);
    assert.equal(other.code, 0, other.stderr);
    assert.match(other.stdout, /^\d+\.\d+/, '--image runs another image');
    const noPid = await runCli(['debug', app, '--', 'sh', '-c', 'ps -o args ax']);
    assert.doesNotMatch(noPid.stdout, /node -e/, 'without --pid the processes stay hidden');
  });

  it('debug opens a TTY shell where Ctrl-C goes to the shell, and exits with its code', async () => {
    // `script` gives the CLI a real pseudo-terminal; keystrokes are typed into it.
    const child = spawn('script', ['-qfec', `stty cols 123 rows 45; ${process.execPath} ${CLI} debug ${app}`, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, TERM: 'dumb' },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    await waitFor(() => /dockside:/.test(out) && /#\s*$/.test(out), 'the shell prompt', 30_000);
    assert.match(out, new RegExp(`\\(dockside:${app}\\)`), 'the prompt names the target');
    child.stdin.write('stty size; tty; sleep 30\r');
    await new Promise((r) => setTimeout(r, 1500));
    child.stdin.write('\x03');
    await new Promise((r) => setTimeout(r, 500));
    child.stdin.write('echo after-$((40+2)); exit 3\r');
    const code = await closed;
    assert.match(out, /\/dev\/pts\/\d+/, 'the shell has a TTY');
    assert.match(out, /^45 123\r?$/m, 'the TTY has the size of the terminal');
    assert.match(out, /after-42/, 'Ctrl-C interrupted sleep, not the session');
    assert.equal(code, 3);
    assert.deepEqual(sidecarsFor(app), []);
  });

  it('capture -w writes a pcap that tshark reads, and the summary matches tshark', async () => {
    const file = join(dir, 'web.pcap');
    const cap = await startCapture([app, '--filter', 'tcp portrange 8080-8081 or udp port 53', '-w', file, '--summary', '--json']);
    const script = [
      ...[1, 2, 3].map(() => 'curl -s -o /dev/null http://127.0.0.1:8080/'),
      ...[1, 2].map(() => 'curl -s -o /dev/null http://127.0.0.1:8080/missing'),
      'curl -s -o /dev/null http://127.0.0.1:8080/resolve?name=web.test',
      'curl -s -o /dev/null http://127.0.0.1:8080/resolve?name=nope.test',
      'curl -s -o /dev/null http://127.0.0.1:8081/ || true', // nothing listens: SYN, then RST
    ].join('; ');
    const gen = await runCli(['debug', app, '--', 'sh', '-c', script]);
    assert.equal(gen.code, 0, gen.stderr);
    await new Promise((r) => setTimeout(r, 800));
    cap.child.kill('SIGINT');
    assert.equal(await cap.closed, 0, cap.err());
    const result = JSON.parse(cap.out()) as { stats: { captured: number; dropped: number; received: number }; summary: CaptureSummary; file: string; stoppedBy: string };
    assert.equal(result.stoppedBy, 'signal');
    assert.equal(result.stats.dropped, 0);

    // Packet count and flows, by tshark.
    const frames = tshark('-r', file, '-T', 'fields', '-e', 'frame.number').trim().split('\n').filter(Boolean).length;
    assert.equal(frames, result.stats.captured);
    const convs = tsharkConversations(file);
    assert.equal(convs.length, 8, 'seven HTTP connections and one refused');
    const read = JSON.parse((await runCli(['capture', '--read', file, '--summary', '--json', '--limit', '1000'])).stdout) as { summary: CaptureSummary };
    for (const s of [result.summary, read.summary]) {
      assert.equal(s.packets, frames);
      const tcpConvs = s.conversations.filter((c) => c.protocol === 'tcp');
      assert.equal(tcpConvs.length, convs.length);
      for (const t of convs) {
        const mine = tcpConvs.find((c) => (c.a === t.a && c.b === t.b) || (c.a === t.b && c.b === t.a));
        assert.ok(mine, `conversation ${t.a} <-> ${t.b}`);
        assert.equal(mine.packets, t.frames);
        assert.equal(mine.bytes, t.bytes);
      }
    }

    // TCP resets and retransmissions, as tshark's analysis counts them.
    const count = (filter: string) => tshark('-r', file, '-Y', filter, '-T', 'fields', '-e', 'frame.number').trim().split('\n').filter(Boolean).length;
    for (const s of [result.summary, read.summary]) {
      assert.equal(s.tcp.resets, count('tcp.flags.reset == 1'));
      assert.ok(s.tcp.resets >= 1, 'the refused connection was reset');
      assert.equal(s.tcp.retransmissions, count('tcp.analysis.retransmission'));
      assert.equal(s.conversations.find((c) => c.b === '127.0.0.1:8081' || c.a === '127.0.0.1:8081')?.resets, 1);
    }

    // HTTP status codes: what was sent, as tshark sees it, as the summary says.
    const codes = tshark('-r', file, '-Y', 'http.response', '-T', 'fields', '-e', 'http.response.code').trim().split('\n').sort();
    assert.deepEqual(codes, ['200', '200', '200', '200', '404', '404', '502']);
    const tree = tshark('-r', file, '-q', '-z', 'http,tree');
    const treeCount = (label: string) => Number(new RegExp(`^\\s*${label}\\s+(\\d+)`, 'm').exec(tree)?.[1] ?? NaN);
    for (const s of [result.summary, read.summary]) {
      assert.deepEqual(s.http.byStatus, { '200': 4, '404': 2, '502': 1 });
      assert.equal(s.http.requests, treeCount('HTTP Request Packets'));
      assert.equal(s.http.responses, treeCount('HTTP Response Packets'));
      assert.equal(s.http.byStatus['200'], treeCount('200 OK'));
      assert.equal(s.http.byStatus['404'], treeCount('404 Not Found'));
      assert.deepEqual(s.http.entries.map((e) => `${e.method} ${e.path} ${e.status}`).sort(), [
        'GET / 200',
        'GET / 200',
        'GET / 200',
        'GET /missing 404',
        'GET /missing 404',
        'GET /resolve?name=nope.test 502',
        'GET /resolve?name=web.test 200',
      ]);
    }

    // DNS: names, response codes and answers, as tshark decodes them.
    const dnsRows = tshark('-r', file, '-Y', 'dns.flags.response == 1', '-T', 'fields', '-E', 'separator=|', '-e', 'dns.qry.name', '-e', 'dns.flags.rcode', '-e', 'dns.a')
      .trim()
      .split('\n')
      .map((l) => l.split('|'))
      .map(([name, rcode, a]) => `${name} ${rcode} ${a || '-'}`)
      .sort();
    assert.deepEqual(dnsRows, ['nope.test 3 -', 'web.test 0 10.1.2.3']);
    const rcodeNum: Record<string, number> = { NOERROR: 0, NXDOMAIN: 3 };
    for (const s of [result.summary, read.summary]) {
      const mine = s.dns.entries.map((d) => `${d.name} ${rcodeNum[d.rcode ?? ''] ?? d.rcode} ${d.answers.map((x) => x.replace(/^A /, '')).join(',') || '-'}`).sort();
      assert.deepEqual(mine, dnsRows);
      assert.equal(
        s.dns.entries.every((d) => d.server === `${resolverIp}:53`),
        true,
      );
    }
    assert.deepEqual(sidecarsFor(app), []);
  });

  it('capture -w - streams pcap byte-exact to stdout', async () => {
    const capP = runCliBinary(['capture', app, '--filter', 'tcp port 8080', '--count', '10', '-w', '-']);
    // Traffic until the capture has its 10 packets (each request is 10 packets on loopback).
    const end = Date.now() + 30_000;
    let r: Awaited<typeof capP> | undefined;
    void capP.then((x) => (r = x));
    while (!r && Date.now() < end) {
      await runCli(['debug', app, '--', 'curl', '-s', '-o', '/dev/null', 'http://127.0.0.1:8080/']);
      await new Promise((res) => setTimeout(res, 300));
    }
    const res = await capP;
    assert.equal(res.code, 0, res.stderr);
    const parsed = readPcap(res.stdout);
    assert.equal(parsed.records.length, 10);
    assert.equal(parsed.truncatedTail, false, 'no stray bytes: the stream is exactly the pcap');
    const f = join(dir, 'stdout.pcap');
    writeFileSync(f, res.stdout);
    assert.equal(tshark('-r', f, '-T', 'fields', '-e', 'frame.number').trim().split('\n').length, 10);
    assert.match(res.stderr, /10 packets captured, \d+ received by filter, 0 dropped by kernel/);
  });

  it('capture -w - stops cleanly when the reader goes away (| head)', async () => {
    const child = spawnCli(['capture', app, '--filter', 'tcp port 8080', '-w', '-']);
    children.push(child);
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    let got = 0;
    child.stdout.on('data', (c: Buffer) => {
      got += c.length;
      if (got >= 100) child.stdout.destroy();
    });
    await waitFor(() => /capturing on /.test(err), 'the capture to start listening', 30_000);
    // Like tcpdump under `| head`, the capture notices the closed pipe at its next write: keep
    // traffic coming until it has stopped.
    for (let i = 0; i < 20 && child.exitCode === null; i++) {
      await runCli(['debug', app, '--', 'curl', '-s', '-o', '/dev/null', 'http://127.0.0.1:8080/']);
    }
    const code = await Promise.race([closed, new Promise((r) => setTimeout(() => r('hung'), 20_000))]);
    assert.equal(code, 0, err);
    assert.match(err, /packets captured, \d+ received by filter, \d+ dropped by kernel/);
    assert.doesNotMatch(err, /internal error/);
    await waitFor(() => sidecarsFor(app).length === 0, 'the sidecar to be removed', 20_000);
  });

  for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
    it(`killing the CLI (${sig}) mid-capture leaves no container and a readable pcap`, async () => {
      const file = join(dir, `killed-${sig}.pcap`);
      const cap = await startCapture([app, '--filter', 'tcp port 8080', '-w', file]);
      await waitFor(() => sidecarsFor(app).length === 1, 'the capture sidecar');
      for (let i = 0; i < 3; i++) await runCli(['debug', app, '--', 'curl', '-s', '-o', '/dev/null', 'http://127.0.0.1:8080/']);
      await waitFor(() => statSync(file).size >= 24 + 30 * 16, 'the packets to reach the file', 10_000);
      cap.child.kill(sig);
      await cap.closed;
      await waitFor(() => sidecarsFor(app).length === 0, 'the sidecar to be removed', 30_000);
      const parsed = readPcap(readFileSync(file));
      assert.ok(parsed.records.length >= 30, `three requests captured (${parsed.records.length} packets)`);
      assert.equal(parsed.truncatedTail, false);
      assert.equal(tshark('-r', file, '-T', 'fields', '-e', 'frame.number').trim().split('\n').length, parsed.records.length);
    });
  }

  it('a capture ends when its target exits (stoppedBy target-exited), not at its full duration', async () => {
    const brief = startFixture('brief', ['--network', net, BASE, 'sleep', '4']);
    const file = join(dir, 'brief.pcap');
    const t0 = Date.now();
    const r = await runCli(['capture', brief, '-d', '30s', '-w', file, '--json'], { timeoutMs: 40_000 });
    const took = Date.now() - t0;
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { stoppedBy: string };
    assert.equal(result.stoppedBy, 'target-exited');
    assert.ok(took < 20_000, `stopped with its target, after ${took} ms`);
    assert.match(r.stderr, new RegExp(`container ${brief} exited: stopping the capture`));
    assert.equal(readPcap(readFileSync(file)).truncatedTail, false);
    await waitFor(() => sidecarsFor(brief).length === 0, 'the sidecar to be removed', 20_000);
  });

  it("summary: Host from a request whose headers come in a later segment; a file cut short gets tshark's warning", async () => {
    const file = join(dir, 'split.pcap');
    const cap = await startCapture([app, '-i', 'lo', '--filter', 'tcp port 8080', '-w', file, '--summary', '--json']);
    const split = 'printf "GET /split HTTP/1.1\\r\\n"; sleep 0.3; printf "Host: split.test\\r\\nConnection: close\\r\\n\\r\\n"; sleep 1';
    const gen = await runCli(['debug', app, '--', 'sh', '-c', `(${split}) | nc -q 2 127.0.0.1 8080`]);
    assert.equal(gen.code, 0, gen.stderr);
    await new Promise((r) => setTimeout(r, 500));
    cap.child.kill('SIGINT');
    assert.equal(await cap.closed, 0, cap.err());
    // tshark reassembles it the same way: two segments, one request, that Host.
    assert.deepEqual(tshark('-r', file, '-Y', 'http.request', '-T', 'fields', '-e', 'http.host').trim().split('\n'), ['split.test']);
    const live = (JSON.parse(cap.out()) as { summary: CaptureSummary }).summary;
    const read = (JSON.parse((await runCli(['capture', '--read', file, '--summary', '--json'])).stdout) as { summary: CaptureSummary }).summary;
    for (const s of [live, read])
      assert.deepEqual(
        s.http.entries.map((e) => `${e.host} ${e.path} ${e.status}`),
        ['split.test /split 404'],
      );

    const whole = readFileSync(file);
    const cut = join(dir, 'cut.pcap');
    writeFileSync(cut, whole.subarray(0, whole.length - 5));
    const ts = spawnSync('tshark', ['-r', cut, '-q'], { encoding: 'utf8' });
    const words = `The file "${cut}" appears to have been cut short in the middle of a packet.`;
    assert.ok(ts.stderr.includes(words), `tshark: ${ts.stderr}`);
    const human = await runCli(['capture', '--read', cut, '--summary']);
    assert.equal(human.code, 0, human.stderr);
    assert.ok(human.stdout.includes(`warning: ${words}`), human.stdout);
    const json = JSON.parse((await runCli(['capture', '--read', cut, '--summary', '--json'])).stdout) as { summary: CaptureSummary };
    assert.deepEqual(json.summary.warnings, [words]);
  });

  it('works on a FROM scratch target with no shell', async () => {
    const scratch = startFixture('scratch', ['--network', net, scratchBusyboxImage()]);
    await waitFor(async () => (await runCli(['debug', scratch, '--', 'curl', '-sf', 'http://127.0.0.1:8080/'])).stdout.includes('scratch-ok'), 'busybox httpd', 20_000);
    const ls = await runCli(['debug', scratch, '--pid', '--', 'ls', '/proc/1/root']);
    assert.match(ls.stdout, /busybox/);
    const file = join(dir, 'scratch.pcap');
    const cap = await startCapture([scratch, '-i', 'lo', '--filter', 'tcp port 8080', '-w', file, '--summary', '--json']);
    await runCli(['debug', scratch, '--', 'curl', '-s', '-o', '/dev/null', 'http://127.0.0.1:8080/index.html']);
    await new Promise((r) => setTimeout(r, 500));
    cap.child.kill('SIGINT');
    assert.equal(await cap.closed, 0, cap.err());
    const result = JSON.parse(cap.out()) as { summary: CaptureSummary };
    assert.deepEqual(result.summary.http.byStatus, { '200': 1 });
    assert.equal(tshark('-r', file, '-Y', 'http.response.code == 200', '-T', 'fields', '-e', 'frame.number').trim().split('\n').length, 1);
  });

  it('bad input: one-line errors, non-zero exits, nothing left behind', async () => {
    const stopped = startFixture('stopped', [BASE, 'true']);
    await waitFor(() => docker('inspect', '--format', '{{.State.Running}}', stopped) === 'false', 'the container to stop');
    const cases: Array<[string[], RegExp]> = [
      [['capture', stopped, '-c', '1'], /^dockside: container ".*" is not running/],
      [['debug', stopped, '--', 'true'], /^dockside: container ".*" is not running/],
      [['capture', 'no-such-container-xyz', '-c', '1'], /^dockside: no container named "no-such-container-xyz"/],
      [['debug', 'no-such-container-xyz'], /^dockside: no container named/],
      [['capture', app, '--filter', 'tcp prot 80', '-c', '1'], /^dockside: bad capture filter "tcp prot 80"/],
      [['capture', app, '-w', join(dir, 'missing-dir', 'x.pcap'), '-c', '1'], /^dockside: cannot write .*: directory .* does not exist/],
      [['capture', app, '-w', dir, '-c', '1'], /^dockside: cannot write .*: it is a directory/],
      [['capture', app, '-i', 'nosuch0', '-c', '1'], /^dockside: no interface "nosuch0"/],
      [['capture', '--read', join(dir, 'nope.pcap')], /^dockside: no file /],
      [['capture', app, '--duration', 'soon'], /^dockside: "soon" is not a duration/],
      // Packet lines are not JSON: --json alone would print them and then an object.
      [['capture', app, '--json', '-c', '1'], /^dockside: --json needs --summary or -w FILE: packet lines are not JSON/],
    ];
    for (const [args, re] of cases) {
      const r = await runCli(args);
      assert.notEqual(r.code, 0, `${args.join(' ')} should fail`);
      assert.match(r.stderr, re, args.join(' '));
      assert.equal(r.stderr.split('\n').filter((l) => l && !l.startsWith('  hint:')).length, 1, `one line: ${r.stderr}`);
      assert.equal(r.stdout, '');
    }
    assert.equal(existsSync(join(dir, 'missing-dir')), false);

    // Without its capability (as under an engine policy that strips it), the sidecar names it.
    const denied = spawnSync(
      'docker',
      [
        'run',
        '--rm',
        '--label',
        `${RUN_LABEL}=${RUN_ID}`,
        '--cap-drop',
        'ALL',
        '--security-opt',
        'no-new-privileges',
        '--net',
        `container:${app}`,
        `dockside/netdebug:${IMAGE_TAG}`,
        'capture',
        '--count',
        '1',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(denied.status, 77);
    assert.match(denied.stderr, /"code":"ECAP"/);
    assert.match(denied.stderr, /lacks the NET_RAW capability/);
    assert.deepEqual(sidecarsFor(app), []);
  });

  describe('a capture whose output fills up', () => {
    let chatty = '';
    let full = '';
    before(() => {
      // UDP on the fixture's own loopback, 200 packets a second, for as long as the fixture lives.
      chatty = startFixture('chatty', [
        '--network',
        net,
        BASE,
        'node',
        '-e',
        'const d=require("dgram").createSocket("udp4");const b=Buffer.alloc(1000);setInterval(()=>d.send(b,9999,"127.0.0.1"),5)',
      ]);
      full = mkdtempSync(join(tmpdir(), 'ds-full-'));
      // A 64 KiB file system of the test's own: the pcap fills it within a second.
      const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', full], { encoding: 'utf8' });
      assert.equal(m.status, 0, `mount a small tmpfs (the test runs as root): ${m.stderr}`);
    });
    after(() => {
      spawnSync('umount', [full]);
      rmSync(full, { recursive: true, force: true });
    });

    it('-w on a full disk: "cannot write x.pcap: no space left on device", the counts, exit 1', async () => {
      const file = join(full, 'x.pcap');
      const r = await runCli(['capture', chatty, '-i', 'lo', '-w', file, '-d', '20s'], { timeoutMs: 30_000 });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`^dockside: cannot write ${file.replace(/[.]/g, '\\.')}: no space left on device$`, 'm'));
      assert.match(r.stderr, /\d+ packets captured, \d+ received by filter, \d+ dropped by kernel/);
      assert.doesNotMatch(r.stderr, /without a report|Node\.js|internal error/);
      const parsed = readPcap(readFileSync(file));
      assert.ok(parsed.records.length > 0, 'what fitted is a readable pcap');
      await waitFor(() => sidecarsFor(chatty).length === 0, 'the sidecar to be removed', 20_000);
    });

    it('-c 3 -w /dev/full returns: "cannot write /dev/full: no space left on device", the counts, exit 1', async () => {
      const t0 = Date.now();
      const r = await runCli(['capture', chatty, '-i', 'lo', '-c', '3', '-w', '/dev/full'], { timeoutMs: 30_000 });
      assert.ok(Date.now() - t0 < 25_000, 'it returned');
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /^dockside: cannot write \/dev\/full: no space left on device$/m);
      assert.match(r.stderr, /\d+ packets captured, \d+ received by filter, \d+ dropped by kernel/);
      await waitFor(() => sidecarsFor(chatty).length === 0, 'the sidecar to be removed', 20_000);
    });
  });
});
