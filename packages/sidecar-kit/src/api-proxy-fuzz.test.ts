/**
 * A fuzzer over the api-proxy's request handling (issue #26), property-based with fast-check and
 * bounded in time: random byte streams built from the pieces request-smuggling and path tricks are
 * made of (odd methods, dot segments, escapes, version prefixes, both Content-Length and
 * Transfer-Encoding, duplicated and folded headers, bare LF, requests hidden in bodies and chunk
 * extensions, pipelining) are written raw to a real proxy in front of a stand-in engine that records
 * every request reaching it. The property: whatever the bytes, every request the engine receives
 * is one the rules allow (a GET of an allowed path, as normalised) — nothing else ever gets through.
 * Cases the fuzzer once found are kept in REGRESSIONS and run first, every time.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { CONTAINER_REF, matchRule, type ApiRule } from '@dockside/common';
import { startApiProxy, type ApiProxy } from './api-proxy.js';

/** Read-only rules, as the metrics exporter has: any POST, PUT or DELETE reaching the engine is a breach. */
const RULES: ApiRule[] = [
  { method: 'GET', path: '/_ping' },
  { method: 'GET', path: '/containers/json' },
  { method: 'GET', path: `/containers/${CONTAINER_REF}/json` },
  { method: 'GET', path: '/events' },
];

const SEGMENTS = [
  'containers',
  'json',
  'images',
  'create',
  'events',
  '_ping',
  'exec',
  'start',
  'web',
  '..',
  '.',
  '',
  '%2e%2e',
  '%2F',
  '%2f..',
  'v1.41',
  'V1.41',
  'v1.23',
  ';',
  'x\\..',
  '\u00e9',
  '*',
];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'get', 'G\u0000ET', 'GET '];
const VERSIONS = ['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/1.2', 'HTTP/2', 'http/1.1', ''];
const SMUGGLED = 'POST /containers/create HTTP/1.1\r\nHost: d\r\nContent-Length: 2\r\n\r\n{}';

/** Paths the rules allow (so that method and framing tricks meet a path that passes), and random ones. */
const ALLOWED_PATHS = ['/_ping', '/containers/json', '/containers/web/json', '/v1.41/containers/json', '/events?since=1', '/containers/json?all=1'];
const randomPath = fc
  .tuple(
    fc.array(fc.constantFrom(...SEGMENTS), { minLength: 1, maxLength: 5 }),
    fc.option(fc.constantFrom('?a=1', '?/../images/create', '?#x', '#frag', '?x=%00', '?'.repeat(3)), { nil: '' }),
    fc.boolean(),
  )
  .map(([segs, q, abs]) => `${abs ? '/' : ''}${segs.join('/')}${q}`);
const path = fc.oneof(
  fc.constantFrom(...ALLOWED_PATHS),
  randomPath,
  fc.tuple(fc.constantFrom(...ALLOWED_PATHS), randomPath).map(([a, b]) => `${a}/${b}`),
);

const header = fc.oneof(
  fc.constant('Content-Length: 0'),
  fc.constant('Content-Length: 2'),
  fc.constant(`Content-Length: ${SMUGGLED.length}`),
  fc.constant('Content-Length: 2, 2'),
  fc.constant('Content-Length: -1'),
  fc.constant('Transfer-Encoding: chunked'),
  fc.constant('Transfer-Encoding: chunked, identity'),
  fc.constant('Transfer-Encoding : chunked'),
  fc.constant('Transfer-Encoding:\tchunked'),
  fc.constant(' Transfer-Encoding: chunked'),
  fc.constant('Connection: Upgrade'),
  fc.constant('Upgrade: tcp'),
  fc.constant('Connection: keep-alive'),
  fc.constant('Expect: 100-continue'),
  fc.constant('Host: docker'),
  fc.constant('X-Forwarded-For: 127.0.0.1'),
);

const body = fc.constantFrom(
  '',
  '{}',
  SMUGGLED,
  `0\r\n\r\n${SMUGGLED}`,
  `2;ext="\r\n${SMUGGLED}"\r\n{}\r\n0\r\n\r\n`,
  `${SMUGGLED.length.toString(16)}\r\n${SMUGGLED}\r\n0\r\n\r\n`,
);

const oneRequest = fc
  .record({
    method: fc.constantFrom(...METHODS),
    path,
    version: fc.constantFrom(...VERSIONS),
    headers: fc.array(header, { maxLength: 5 }),
    body,
    eol: fc.constantFrom('\r\n', '\r\n', '\n'),
  })
  .map(({ method, path: p, version, headers, body: b, eol }) => `${method} ${p} ${version}${eol}${headers.join(eol)}${headers.length ? eol : ''}${eol}${b}`);

const stream = fc.array(oneRequest, { minLength: 1, maxLength: 3 }).map((rs) => rs.join(''));

/** Found by this fuzzer or by hand once; each is run before the random ones. */
const REGRESSIONS: string[] = [
  `GET /_ping HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`,
  `GET /_ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\n${SMUGGLED}`,
  `GET /containers/../images/json HTTP/1.1\r\nHost: d\r\n\r\n`,
  `GET /_ping HTTP/1.1\nContent-Length: 0\n\n${SMUGGLED}`,
];

let dir = '';
let engine: Server;
let proxy: ApiProxy;
/** method + url of every request that reached the stand-in engine. */
const reached: string[] = [];

function send(bytes: string): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(join(dir, 'proxy.sock'));
    const done = () => {
      clearTimeout(timer);
      s.destroy();
      resolve();
    };
    const timer = setTimeout(done, 500);
    s.on('close', done);
    s.on('error', done);
    s.on('data', () => undefined);
    s.end(Buffer.from(bytes, 'latin1'));
  });
}

function breaches(since = 0): string[] {
  return reached.slice(since).filter((r) => {
    const sp = r.indexOf(' ');
    const method = r.slice(0, sp);
    const url = r.slice(sp + 1);
    return method !== 'GET' || !matchRule(RULES, method, url);
  });
}

describe('api-proxy fuzzing: nothing but allowed requests reaches the engine', { timeout: 120_000 }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dockside-proxy-fuzz-'));
    engine = createServer((req, res) => {
      reached.push(`${req.method} ${req.url}`);
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 }).end('{}');
    });
    await new Promise<void>((r) => engine.listen(join(dir, 'engine.sock'), r));
    proxy = await startApiProxy({ listen: join(dir, 'proxy.sock'), upstream: join(dir, 'engine.sock'), rules: RULES, role: 'fuzz', log: () => undefined });
  });
  after(async () => {
    await proxy?.close();
    // Whatever the fuzzer left open towards the stand-in engine must not hold the run.
    engine?.closeAllConnections();
    await new Promise((r) => engine?.close(r));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('kept regressions', async () => {
    for (const r of REGRESSIONS) await send(r);
    assert.deepEqual(breaches(), []);
  });

  it('random request streams (bounded: 400 streams or 25 s)', async () => {
    await fc.assert(
      fc.asyncProperty(stream, async (bytes) => {
        const before = reached.length;
        await send(bytes);
        const bad = breaches(before);
        if (bad.length) throw new Error(`reached the engine: ${bad.join(' | ')} (after ${reached.length - before} requests from ${JSON.stringify(bytes)})`);
      }),
      { numRuns: 400, interruptAfterTimeLimit: 25_000, markInterruptAsFailure: false },
    );
    // The stand-in engine did get the allowed ones: the fuzzer is not just sending garbage.
    assert.ok(
      reached.some((r) => r.startsWith('GET ')),
      'some allowed requests went through',
    );
  });
});
