/**
 * A hostile client of the api-proxy (issue #26): from inside the container the proxy serves, raw
 * bytes on its socket (no HTTP library between the test and the proxy, so malformed requests go out
 * as written). The service gets the scheduler's rules, the widest any sidecar has (container
 * create with its body policy, exec, attach and exec start upgradable). Every trick below must be
 * answered with a refusal (a 4xx status or a closed connection) and must leave the engine as it
 * was: every create the tricks try carries this run's label and an image name of its own, so a
 * container or image that got through is found by them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { removeWithAnonymousVolumes, startService, type Engine } from '@dockside/engine';
import { CRON_API_RULES, cronCreatePolicy } from '../../packages/cron/src/api-access.js';
import { IMAGE_TAG, RUN_ID, RUN_LABEL, VERSION, cleanupRun, docker, requireEngine, STAND_IN_READY, standInService } from '../support/engine.js';

const IMAGE = `dockside/metrics:${IMAGE_TAG}`;
const BASE = `dockside/base:${IMAGE_TAG}`;
/** An image reference no test pulls or builds: if it ever exists, a trick got through. */
const BAIT_IMAGE = `dstest-hostile-${RUN_ID}`;

interface RawCase {
  name: string;
  /** Pieces written one after another, `gapMs` apart. */
  chunks: string[];
  gapMs?: number;
  /** How long to wait for the answer after the last piece. */
  waitMs?: number;
}
interface RawAnswer {
  name: string;
  /** Everything the proxy sent back before it closed or went quiet. */
  text: string;
  closed: boolean;
  ms: number;
}

/** Each case on its own connection to the proxy socket, from inside `containerId` (its DOCKER_HOST). */
function rawFromInside(containerId: string, cases: RawCase[]): RawAnswer[] {
  const script = `
const net = require('net');
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const sock = process.env.DOCKER_HOST.replace(/^unix:\\/\\//, '');
const one = (c) => new Promise((resolve) => {
  const t0 = Date.now();
  const s = net.connect(sock);
  let text = '';
  let closed = false;
  let timer;
  const done = () => { clearTimeout(timer); s.destroy(); resolve({ name: c.name, text, closed, ms: Date.now() - t0 }); };
  const idle = () => { clearTimeout(timer); timer = setTimeout(done, c.waitMs || 1500); };
  s.on('data', (d) => { text += d.toString('latin1'); idle(); });
  s.on('close', () => { closed = true; done(); });
  s.on('error', () => {});
  s.on('connect', async () => {
    for (const [i, piece] of c.chunks.entries()) {
      if (i && c.gapMs) await new Promise((r) => setTimeout(r, c.gapMs));
      if (closed) break;
      s.write(Buffer.from(piece, 'latin1'));
    }
    idle();
  });
});
(async () => { const out = []; for (const c of cases) out.push(await one(c)); process.stdout.write(JSON.stringify(out)); })();`;
  // The cases go in on stdin: a body over a megabyte is more than an argv may hold.
  const r = spawnSync('docker', ['exec', '-i', containerId, 'node', '-e', script], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`the raw client in ${containerId.slice(0, 12)} failed: ${r.stderr || r.error?.message}`);
  return JSON.parse(r.stdout) as RawAnswer[];
}

/**
 * Answers only the proxy gives: its 403, and the HTTP parser's 400 / 408 (headers too slow) / 431
 * (headers too large). Anything else (a 404 or 301 from the engine, a 2xx) means the request went on.
 */
const byProxy = (code: number) => [400, 403, 408, 431].includes(code);

/** The status codes of every answer in a raw exchange (pipelined requests get several). */
function statuses(text: string): number[] {
  return [...text.matchAll(/^HTTP\/1\.[01] (\d{3})/gm)].map((m) => Number(m[1]));
}

const create = (body: string, path = '/v1.41/containers/create') =>
  `POST ${path} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body, 'latin1')}\r\n\r\n${body}`;
/** A create body any policy refuses (Privileged), carrying this run's label. */
const evil = (hostConfig = '"Privileged":true') =>
  `{"Image":${JSON.stringify(BASE)},"Cmd":["true"],"Labels":{${JSON.stringify(RUN_LABEL)}:${JSON.stringify(RUN_ID)}},"HostConfig":{${hostConfig}}}`;
const pull = `POST /images/create?fromImage=${BAIT_IMAGE}&tag=latest HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\n`;

describe('api-proxy: a hostile client from inside the served container (issue #26)', { timeout: 300_000 }, () => {
  let engine: Engine;
  let serviceId = '';
  let tmp = '';
  before(async () => {
    engine = await requireEngine();
    tmp = mkdtempSync(join(tmpdir(), 'dockside-hostile-'));
    ({ id: serviceId } = await startService(
      engine,
      {
        role: 'apihostile',
        image: IMAGE,
        version: VERSION,
        session: `api-hostile-test-${RUN_ID}`,
        entrypoint: standInService(900),
        user: '1000:1000',
        readonlyRootfs: true,
        capAdd: [],
        labels: { [RUN_LABEL]: RUN_ID },
        apiAccess: { rules: [...CRON_API_RULES], createPolicy: cronCreatePolicy([realpathSync(tmp)]) },
      },
      STAND_IN_READY,
    ));
    const [ping] = rawFromInside(serviceId, [{ name: 'ping', chunks: ['GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n'] }]);
    assert.match(ping!.text, /^HTTP\/1\.1 200/, `the proxy answers an allowed call: ${ping!.text}`);
  });
  after(async () => {
    if (serviceId) await removeWithAnonymousVolumes(engine, serviceId).catch(() => undefined);
    cleanupRun();
    spawnRmi(BAIT_IMAGE);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const engineUnchanged = () => {
    const leaked = docker('ps', '-aq', '--filter', `label=${RUN_LABEL}=${RUN_ID}`)
      .split('\n')
      .filter((id) => id && !serviceId.startsWith(id) && !docker('inspect', '-f', '{{index .Config.Labels "dockside.role"}}', id).includes('apihostile'));
    assert.deepEqual(leaked, [], 'no container created by a trick');
    assert.equal(docker('images', '-q', BAIT_IMAGE), '', 'no image pulled or made by a trick');
  };

  const refusedEach = (answers: RawAnswer[]) => {
    for (const a of answers) {
      const codes = statuses(a.text);
      assert.ok(codes.every(byProxy), `${a.name}: every answer a refusal by the proxy itself, got ${codes.join(', ')}:\n${a.text.slice(0, 400)}`);
      // The engine's answers carry its Api-Version header; the proxy's refusals never do.
      assert.doesNotMatch(a.text, /^api-version:/im, `${a.name}: nothing came back from the engine`);
      assert.ok(codes.length > 0 || a.closed, `${a.name}: answered or closed`);
    }
  };

  it('path tricks: dot segments, double slashes, escapes, version prefixes, query and fragment smuggling', () => {
    const paths = [
      '/containers/../images/create?fromImage=' + BAIT_IMAGE,
      '/v1.41/containers/../../images/create?fromImage=' + BAIT_IMAGE,
      '//images/create?fromImage=' + BAIT_IMAGE,
      '/containers/%2e%2e/images/create?fromImage=' + BAIT_IMAGE,
      '/containers%2F..%2Fimages/create?fromImage=' + BAIT_IMAGE,
      '/images%2Fcreate?fromImage=' + BAIT_IMAGE,
      '/V1.41/images/create?fromImage=' + BAIT_IMAGE,
      '/v1.41/v1.41/images/create?fromImage=' + BAIT_IMAGE,
      '/v1.23/images/create?fromImage=' + BAIT_IMAGE,
      '/containers/create/../../images/create?fromImage=' + BAIT_IMAGE,
      '/containers/create#/../../images/create?fromImage=' + BAIT_IMAGE,
      '/containers/create;/../../images/create?fromImage=' + BAIT_IMAGE,
      '/containers/create\\..\\..\\images\\create?fromImage=' + BAIT_IMAGE,
      '/_ping?/../images/create&fromImage=' + BAIT_IMAGE,
      '/containers/./create',
      // Each matches an allowed rule as text (start, exec, attach) and means another path to the engine.
      '/containers/../start',
      '/containers/./start',
      '/containers/../exec',
      '/containers/../attach?stream=1',
      '/exec/../start',
      '/containers/create/',
      'http://docker/images/create?fromImage=' + BAIT_IMAGE,
      '*',
    ];
    // Reads an allowed GET rule matches as text, sent with no body: only the path check stands in the way.
    const gets = ['/containers/../json', '/containers/./json', '/v1.41/containers/../logs?stdout=1', '/containers/%2e%2e/json', '/containers//json', '/containers/x/json/..'];
    const answers = rawFromInside(serviceId, [
      ...paths.map((p) => ({
        name: `POST ${p}`,
        chunks: [`POST ${p} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: ${evil().length}\r\n\r\n${evil()}`],
      })),
      ...gets.map((p) => ({ name: `GET ${p}`, chunks: [`GET ${p} HTTP/1.1\r\nHost: docker\r\n\r\n`] })),
    ]);
    refusedEach(answers);
    engineUnchanged();
  });

  it('method tricks: HEAD, OPTIONS, lower-case and odd methods', () => {
    const answers = rawFromInside(
      serviceId,
      ['HEAD', 'OPTIONS', 'post', 'Post', 'PATCH', 'TRACE', 'CONNECT', 'PROPFIND', 'POST\t', 'P0ST'].map((m) => ({
        name: `${m} create`,
        chunks: [`${m} /containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: ${evil().length}\r\n\r\n${evil()}`],
      })),
    );
    refusedEach(answers);
    engineUnchanged();
  });

  it('request smuggling: Content-Length with Transfer-Encoding, duplicated lengths, chunk extensions, a second request in the body', () => {
    const body = evil();
    const inner = create(evil('"Binds":["/:/host"]'));
    const answers = rawFromInside(serviceId, [
      {
        name: 'CL and TE',
        chunks: [`POST /containers/create HTTP/1.1\r\nHost: docker\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`],
      },
      { name: 'TE and CL', chunks: [`POST /containers/create HTTP/1.1\r\nHost: docker\r\nTransfer-Encoding: chunked\r\nContent-Length: ${body.length}\r\n\r\n${body}`] },
      { name: 'two Content-Length', chunks: [`POST /containers/create HTTP/1.1\r\nHost: docker\r\nContent-Length: 2\r\nContent-Length: ${body.length}\r\n\r\n{}${body}`] },
      { name: 'a list Content-Length', chunks: [`POST /containers/create HTTP/1.1\r\nHost: docker\r\nContent-Length: ${body.length}, ${body.length}\r\n\r\n${body}`] },
      {
        name: 'TE: chunked, identity',
        chunks: [`POST /containers/create HTTP/1.1\r\nHost: docker\r\nTransfer-Encoding: chunked, identity\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`],
      },
      {
        name: 'TE with a space before the colon',
        chunks: [`POST /containers/create HTTP/1.1\r\nHost: docker\r\nTransfer-Encoding : chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`],
      },
      {
        name: 'TE: xchunked',
        chunks: [`POST /containers/create HTTP/1.1\r\nHost: docker\r\nTransfer-Encoding: xchunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`],
      },
      { name: 'obs-fold TE', chunks: [`POST /containers/create HTTP/1.1\r\nHost: docker\r\nX: y\r\n Transfer-Encoding: chunked\r\nContent-Length: ${body.length}\r\n\r\n${body}`] },
      {
        name: 'chunk extensions hiding a request',
        chunks: [`POST /containers/create HTTP/1.1\r\nHost: docker\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)};x="\r\n${inner}"\r\n${body}\r\n0\r\n\r\n`],
      },
      { name: 'a bare LF request line', chunks: [`POST /containers/create HTTP/1.1\nHost: docker\nContent-Length: ${body.length}\n\n${body}`] },
      { name: 'a NUL in the path', chunks: [`POST /containers/create\u0000/../../images/create HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\n`] },
      { name: 'pipelined after a refused body', chunks: [create(body) + inner + pull] },
      { name: 'a second request after a short Content-Length', chunks: [`POST /containers/create HTTP/1.1\r\nHost: docker\r\nContent-Length: 2\r\n\r\n{}${inner}`] },
      { name: 'HTTP/1.0 keep-alive with a second request', chunks: [`GET /_ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\n${inner}`] },
    ]);
    for (const a of answers) {
      // An allowed GET /_ping may be answered 200 before its smuggled follower is refused.
      const codes = statuses(a.text).filter((c, i) => !(a.name.startsWith('HTTP/1.0') && i === 0 && c === 200));
      assert.ok(codes.every(byProxy), `${a.name}: every answer a refusal, got ${codes.join(', ')}:\n${a.text.slice(0, 500)}`);
      assert.ok(codes.length > 0 || a.closed, `${a.name}: answered or closed`);
    }
    engineUnchanged();
  });

  it('a body just over the limit is refused without being parsed', () => {
    const limit = 1024 * 1024;
    const pad = ' '.repeat(limit + 1 - evil('').length);
    const body = evil('').replace(/}$/, `${pad}}`);
    assert.equal(body.length, limit + 1);
    const [a] = rawFromInside(serviceId, [{ name: 'over the limit', chunks: [create(body)], waitMs: 3000 }]);
    assert.deepEqual(statuses(a!.text), [403], a!.text.slice(0, 300));
    assert.match(a!.text, /over 1048576 bytes/);
    engineUnchanged();
  });

  it('slowloris: headers trickling in are cut off, and other clients are served meanwhile', () => {
    const trickle = 'POST /containers/create HTTP/1.1\r\nHost: docker\r\n'.split('').concat(Array.from({ length: 80 }, (_, i) => `X-${i}: y\r\n`));
    const [slow] = rawFromInside(serviceId, [{ name: 'slowloris', chunks: trickle, gapMs: 400, waitMs: 2000 }]);
    assert.ok(slow!.closed, 'the connection was closed by the proxy');
    // The request line and 80 header lines 400 ms apart would take 50 s: the proxy gives headers 10 s.
    assert.ok(slow!.ms < 20_000, `closed after ${slow!.ms} ms, before the headers were complete`);
    assert.ok(statuses(slow!.text).every(byProxy), slow!.text);
    const [ping] = rawFromInside(serviceId, [{ name: 'ping', chunks: ['GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n'] }]);
    assert.match(ping!.text, /^HTTP\/1\.1 200/);
  });

  it('upgrades only where a rule allows them, and only to a raw stream', () => {
    const up = (method: string, path: string, proto = 'tcp') =>
      `${method} ${path} HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: ${proto}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`;
    const answers = rawFromInside(serviceId, [
      { name: 'upgrade on a list', chunks: [up('GET', '/containers/json')] },
      { name: 'upgrade on create', chunks: [up('POST', '/containers/create')] },
      { name: 'upgrade on images/create', chunks: [up('POST', `/images/create?fromImage=${BAIT_IMAGE}`)] },
      { name: 'h2c on exec start', chunks: [up('POST', '/exec/0123456789abcdef/start', 'h2c')] },
      { name: 'websocket on attach', chunks: [up('GET', '/containers/x/attach/ws?stream=1', 'websocket')] },
      { name: 'upgrade on a dot-segment exec path', chunks: [up('POST', '/exec/../images/create/start')] },
    ]);
    refusedEach(answers);
    engineUnchanged();
  });

  it('create bodies that hide a bind or privilege under a duplicated or escaped key', () => {
    const bodies = [
      evil('"Binds":["/tmp:/t"],"binds":["/:/host"]'),
      evil('"\\u0042inds":["/:/host"]'),
      evil('"Privileged":false,"privileged":true'),
      evil('"Privileged":false,"Privileged":true'),
      `{"Image":${JSON.stringify(BASE)},"Labels":{${JSON.stringify(RUN_LABEL)}:${JSON.stringify(RUN_ID)}},"HostConfig":{},"hostconfig":{"Privileged":true}}`,
      `{"Image":${JSON.stringify(BASE)},"Labels":{${JSON.stringify(RUN_LABEL)}:${JSON.stringify(RUN_ID)}},"Privileged":true}`,
    ];
    refusedEach(
      rawFromInside(
        serviceId,
        bodies.map((b, i) => ({ name: `body ${i}: ${b.slice(-60)}`, chunks: [create(b)] })),
      ),
    );
    engineUnchanged();
  });
});

function spawnRmi(ref: string): void {
  try {
    docker('rmi', '-f', ref);
  } catch {
    /* not there: as it should be */
  }
}
