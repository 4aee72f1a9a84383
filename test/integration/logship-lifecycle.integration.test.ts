/**
 * The log shipper's life as a service, against a real engine: one shipper per --name even when
 * several `logs ship` run at once (the engine's name uniqueness decides, the others are refused);
 * a failed re-run keeps the working shipper; a failed first run leaves no volume; `logs status`
 * after a restart, with an exited shipper, with a destination answering 400 and after a delivery
 * outage (a real HTTP receiver on 127.0.0.1, the shipper on the host network).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { RUN_ID, cleanupRun, docker, IMAGE_TAG, requireEngine, runCli, spawnCli, startFixture, waitFor, freePort } from '../support/engine.js';
import { messages, readShipped } from '../support/logship-fixtures.js';

const BASE = `dockside/base:${IMAGE_TAG}`;
const names: string[] = [];
let tmp = '';

function shipperName(n: string): string {
  const full = `t${RUN_ID.replace(/[^a-z0-9]/g, '')}-${n}`;
  names.push(full);
  return full;
}

function shippers(name: string, running = false): string[] {
  return docker('ps', ...(running ? [] : ['-a']), '-q', '--filter', `label=dockside.logship.name=${name}`)
    .split('\n')
    .filter(Boolean);
}

function proxiesOf(name: string): string[] {
  return docker('ps', '-aq', '--filter', `name=dockside-logship-${name}`, '--filter', 'label=dockside.role=logship-api-proxy').split('\n').filter(Boolean);
}

function volumes(name: string): string[] {
  return docker('volume', 'ls', '-q', '--filter', `name=dockside-logship-${name}`)
    .split('\n')
    .filter((v) => v === `dockside-logship-${name}`);
}

function startedAt(id: string): string {
  return docker('inspect', '--format', '{{.State.StartedAt}} {{.State.Running}}', id);
}

/** An app printing `tick N` every 20 ms. */
function ticker(n: string): string {
  return startFixture(n, [BASE, 'node', '-e', "let i=0;setInterval(()=>console.log('tick '+(++i)),20)"]);
}

function ticks(list: string[]): number[] {
  return list.map((m) => Number(m.replace('tick ', '')));
}

interface Status {
  name: string;
  state: string;
  warnings: string[];
  status?: {
    since: string;
    retrying?: string;
    targets: Array<{ name: string; lines: number; errors: number; shippedTime: string; lagSeconds: number | null; positions: Record<string, unknown> }>;
  };
}

async function status(name: string): Promise<Status | undefined> {
  const r = await runCli(['logs', 'status', '--name', name, '--json']);
  assert.equal(r.code, 0, `logs status: ${r.stderr}`);
  return (JSON.parse(r.stdout) as Status[])[0];
}

before(async () => {
  await requireEngine();
  tmp = mkdtempSync(join(tmpdir(), 'dockside-logship-life-'));
});

after(async () => {
  for (const n of names) await runCli(['logs', 'stop', '--name', n, '--forget']).catch(() => undefined);
  cleanupRun();
  rmSync(tmp, { recursive: true, force: true });
});

describe('logs ship: one shipper per name', { timeout: 240_000 }, () => {
  it('three `logs ship --name N` at once: one shipper runs, the others are refused (exit 2); the same for three replacements at once; every line once across the winners', async () => {
    const app = ticker('race');
    const name = shipperName('race');
    const dirs = [0, 1, 2].map((i) => join(tmp, `race-${i}`));
    const round = async (tag: string) => {
      const rs = await Promise.all(dirs.map((d) => runCli(['logs', 'ship', app, '--to', `file://${d}-${tag}`, '--name', name])));
      const ok = rs.filter((r) => r.code === 0);
      assert.equal(ok.length, 1, `exactly one start succeeds (exit codes ${rs.map((r) => r.code).join(', ')}; ${rs.map((r) => r.stderr.trim()).join(' | ')})`);
      for (const r of rs.filter((x) => x.code !== 0)) {
        assert.equal(r.code, 2, `the others are refused as bad input: ${r.stderr}`);
        assert.match(r.stderr, /another `dockside logs ship --name .*` is starting or replacing/);
        assert.match(r.stderr, /hint: /);
      }
      assert.equal(shippers(name).length, 1, 'one shipper container for the name, nothing else left');
      assert.equal(shippers(name, true).length, 1, 'and it runs');
      assert.equal(proxiesOf(name).length, 1, 'one api-proxy (the loser left none)');
      assert.equal(docker('inspect', '--format', '{{.Name}}', shippers(name)[0] ?? '-'), `/dockside-logship-${name}`);
      return dirs.map((d) => `${d}-${tag}`)[rs.indexOf(ok[0] as (typeof rs)[number])] as string;
    };
    const first = await round('a');
    await waitFor(() => messages(readShipped(first), app, 'stdout').length >= 50, 'lines in the first winner', 30_000, 200);
    const second = await round('b');
    await waitFor(() => messages(readShipped(second), app, 'stdout').length >= 50, 'lines in the second winner', 30_000, 200);
    // The losers' destinations got nothing; the two winners' hold every tick once, in order.
    for (const d of dirs.flatMap((x) => [`${x}-a`, `${x}-b`]).filter((x) => x !== first && x !== second)) assert.equal(readShipped(d).length, 0, `nothing shipped to ${d}`);
    const all = [...ticks(messages(readShipped(first), app, 'stdout')), ...ticks(messages(readShipped(second), app, 'stdout'))];
    assert.deepEqual(
      all,
      Array.from({ length: all.length }, (_, i) => i + 1),
      'every tick exactly once, in order, across the replacement',
    );
    const logs = docker('logs', shippers(name)[0] ?? '-');
    assert.doesNotMatch(logs, /ENOENT|checkpoint\.json\.tmp/);
  });

  it('a re-run that cannot start (unreachable destination, unknown --network) keeps the working shipper untouched; a failed first run leaves no volume', async () => {
    const app = ticker('keep');
    const name = shipperName('keep');
    const dir = join(tmp, 'keep');
    const r0 = await runCli(['logs', 'ship', app, '--to', `file://${dir}`, '--name', name]);
    assert.equal(r0.code, 0, r0.stderr);
    const [id] = shippers(name);
    assert.ok(id);
    const before = startedAt(id);
    const dead = await freePort();
    const bad = await runCli(['logs', 'ship', app, '--to', `http://127.0.0.1:${dead}/ingest`, '--network', 'host', '--name', name]);
    assert.notEqual(bad.code, 0, 'the re-run fails');
    assert.match(bad.stderr, /cannot reach the http receiver 127\.0\.0\.1/);
    const kept = () => {
      assert.deepEqual(shippers(name), [id], 'the same shipper, alone');
      assert.equal(startedAt(id), before, 'never stopped or restarted');
    };
    kept();
    const net = await runCli(['logs', 'ship', app, '--to', `file://${dir}`, '--network', `nosuch-${RUN_ID}`, '--name', name]);
    assert.equal(net.code, 2, net.stderr);
    assert.match(net.stderr, /--network nosuch-.*: no such network\n\s+hint: give host, none, bridge or one of this engine's networks/);
    assert.deepEqual(shippers(name), [id], 'the same shipper, alone');
    assert.equal(startedAt(id), before, 'never stopped or restarted');
    assert.equal(docker('inspect', '--format', '{{.Name}}', id), `/dockside-logship-${name}`, 'its name given back');
    assert.equal(proxiesOf(name).length, 1, 'its api-proxy, and no other');
    assert.deepEqual(volumes(name), [`dockside-logship-${name}`], 'its volume (positions) kept');
    const n = messages(readShipped(dir), app, 'stdout').length;
    await waitFor(() => messages(readShipped(dir), app, 'stdout').length > n + 20, 'it goes on shipping', 20_000, 200);

    const fresh = shipperName('fresh');
    const f = await runCli(['logs', 'ship', app, '--to', `http://127.0.0.1:${dead}/ingest`, '--network', 'host', '--name', fresh]);
    assert.notEqual(f.code, 0);
    assert.deepEqual(volumes(fresh), [], 'a failed first `logs ship` removes the state volume it created');
    assert.deepEqual(shippers(fresh), []);
    assert.equal(proxiesOf(fresh).length, 0);
  });
});

describe('logs ship interrupted', { timeout: 240_000 }, () => {
  /** Start `logs ship`, send `sig` once its new shipper container exists, resolve with the exit code. */
  async function interrupt(args: string[], name: string, sig: NodeJS.Signals, known: string[]): Promise<number | null> {
    const child = spawnCli(['logs', 'ship', ...args, '--name', name]);
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    await waitFor(() => shippers(name).some((id) => !known.some((k) => k.startsWith(id))) || child.exitCode !== null, 'the new shipper container', 60_000, 50);
    child.kill(sig);
    const code = await closed;
    assert.match(err, new RegExp(`interrupted by ${sig}`), err);
    return code;
  }

  it('Ctrl-C while a replacement starts keeps the old shipper as it was; Ctrl-C during a first start leaves no volume', async () => {
    const app = ticker('intr');
    const name = shipperName('intr');
    const dir = join(tmp, 'intr');
    const r0 = await runCli(['logs', 'ship', app, '--to', `file://${dir}`, '--name', name]);
    assert.equal(r0.code, 0, r0.stderr);
    const [id] = shippers(name);
    assert.ok(id);
    const code = await interrupt([app, '--to', `file://${dir}-2`], name, 'SIGINT', [id]);
    assert.equal(code, 130);
    await waitFor(() => shippers(name).length === 1, 'the new one removed', 20_000, 200);
    assert.deepEqual(shippers(name), [id]);
    assert.equal(docker('inspect', '--format', '{{.Name}}', id), `/dockside-logship-${name}`, 'its name given back');
    assert.equal(docker('inspect', '--format', '{{.State.Running}}', id), 'true');
    assert.equal(proxiesOf(name).length, 1);
    const n = messages(readShipped(dir), app, 'stdout').length;
    await waitFor(() => messages(readShipped(dir), app, 'stdout').length > n + 20, 'it goes on shipping', 20_000, 200);

    const fresh = shipperName('intrfresh');
    const c2 = await interrupt([app, '--to', `file://${dir}-3`], fresh, 'SIGTERM', []);
    assert.equal(c2, 143);
    await waitFor(() => shippers(fresh).length === 0, 'nothing left of the first start', 20_000, 200);
    assert.equal(proxiesOf(fresh).length, 0);
    assert.deepEqual(volumes(fresh), [], 'the volume it created removed');
  });
});

describe('logs status', { timeout: 240_000 }, () => {
  let server: Server | undefined;
  after(() => server?.close());

  it('after a shipper restart shows positions and the last shipped time carried over; an exited shipper has no lag', async () => {
    const app = startFixture('restart', [BASE, 'sh', '-c', 'seq 1 300; sleep 1000']);
    const name = shipperName('restart');
    const dir = join(tmp, 'restart');
    const r = await runCli(['logs', 'ship', app, '--to', `file://${dir}`, '--name', name]);
    assert.equal(r.code, 0, r.stderr);
    await waitFor(async () => (await status(name))?.status?.targets[0]?.lines === 300, 'all 300 lines shipped', 30_000, 300);
    const was = (await status(name))?.status;
    const [id] = shippers(name);
    docker('restart', id ?? '-');
    const now = await waitFor(
      async () => {
        const s = (await status(name))?.status;
        return s && s.since !== was?.since ? s : undefined;
      },
      'figures from the restarted shipper',
      30_000,
      300,
    );
    const t = now.targets.find((x) => x.name === app);
    assert.equal(t?.lines, 300, 'counts carried over');
    assert.equal(t?.shippedTime, was?.targets[0]?.shippedTime, 'the last shipped time carried over');
    assert.ok(t?.shippedTime, 'and it is a time');
    assert.deepEqual(Object.keys(t?.positions ?? {}), ['stdout'], 'the position carried over');
    const human = await runCli(['logs', 'status', '--name', name]);
    const row = human.stdout.split('\n').find((l) => l.startsWith(app)) ?? '';
    assert.match(row, /\d{4}-\d\d-\d\dT/, `LAST SHIPPED shows the time: ${row}`);

    docker('stop', id ?? '-');
    const stopped = await status(name);
    assert.equal(stopped?.state, 'exited');
    assert.equal(stopped?.status?.targets[0]?.lagSeconds, null, 'no lag for a shipper that does not run');
    const h2 = await runCli(['logs', 'status', '--name', name]);
    // CONTAINER LINES BYTES ("1.1 KiB") LAG LAST-SHIPPED ERRORS GAPS
    const row2 = h2.stdout.split('\n').find((l) => l.startsWith(app)) ?? '';
    assert.match(row2, /B\s+-\s+\d{4}-\d\d-\d\dT\S+\s+\d+\s+\d+\s*$/, `LAG is - for an exited shipper: ${row2}`);
  });

  it('a destination answering 400 shows no last shipped time; a delivery warning goes once delivery recovers', async () => {
    let answer = 400;
    const got: string[] = [];
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (answer === 200) got.push(...gunzipSync(Buffer.concat(chunks)).toString().split('\n').filter(Boolean));
        res.statusCode = answer;
        res.end(answer === 200 ? 'ok' : 'no');
      });
    });
    const port = await freePort();
    await new Promise<void>((r) => server?.listen(port, '127.0.0.1', r));
    const label = `dstest.logship.http=${RUN_ID}`;
    const name = shipperName('http');
    const r = await runCli(['logs', 'ship', '--label', label, '--to', `http://127.0.0.1:${port}/ingest`, '--network', 'host', '--name', name]);
    assert.equal(r.code, 0, r.stderr);
    const refused = startFixture('refused', ['--label', label, BASE, 'sh', '-c', 'seq 1 5; sleep 1000']);
    const s400 = await waitFor(async () => (await status(name))?.status?.targets.find((t) => t.name === refused && t.errors === 5), 'the 5 lines refused', 30_000, 300);
    assert.equal(s400.lines, 0);
    assert.equal(s400.shippedTime, '', 'nothing was shipped, so no last shipped time');
    const human = await runCli(['logs', 'status', '--name', name]);
    const row = human.stdout.split('\n').find((l) => l.startsWith(refused)) ?? '';
    assert.match(row, /B\s+\S+\s+-\s+5\s+\d+\s*$/, `LAST SHIPPED is - : ${row}`);

    answer = 503;
    const later = startFixture('later', ['--label', label, BASE, 'sh', '-c', 'seq 1 5; sleep 1000']);
    await waitFor(async () => (await status(name))?.warnings.some((w) => /delivery to http failed .*503.*retrying/.test(w)), 'the delivery warning', 30_000, 300);
    answer = 200;
    await waitFor(async () => (await status(name))?.status?.targets.find((t) => t.name === later)?.lines === 5, 'delivered after the outage', 30_000, 300);
    const ok = await status(name);
    assert.deepEqual(
      ok?.warnings.filter((w) => /delivery/.test(w)),
      [],
      `no delivery warning after recovery: ${ok?.warnings.join(' | ')}`,
    );
    assert.equal(ok?.status?.retrying, undefined);
    const h2 = await runCli(['logs', 'status', '--name', name]);
    assert.doesNotMatch(h2.stdout, /delivery/);
    assert.equal(got.length, 5);
  });
});
