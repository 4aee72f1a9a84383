import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from './errors.js';
import { CONTAINER_REF, isAllowed, isHijackPath, normaliseApiPath, parseApiRules, type ApiRule } from './api-access.js';

const READ_ONLY: ApiRule[] = [
  { method: 'GET', path: '/_ping' },
  { method: 'HEAD', path: '/_ping' },
  { method: 'GET', path: '/containers/json' },
  { method: 'GET', path: `/containers/${CONTAINER_REF}/json` },
  { method: 'GET', path: `/containers/${CONTAINER_REF}/logs` },
  { method: 'GET', path: '/events' },
];
const ID = 'a'.repeat(64);

describe('normaliseApiPath', () => {
  it('strips one version prefix and the query string', () => {
    assert.equal(normaliseApiPath('/v1.41/containers/json?all=1'), '/containers/json');
    assert.equal(normaliseApiPath('/v1.24/_ping'), '/_ping');
    assert.equal(normaliseApiPath('/containers/json'), '/containers/json');
    assert.equal(normaliseApiPath(`/v1.45/containers/${ID}/logs?follow=1&stdout=1`), `/containers/${ID}/logs`);
    assert.equal(normaliseApiPath('/events?filters=%7B%22type%22%3A%5B%22container%22%5D%7D'), '/events', 'encoding in the query is fine');
  });
  it('keeps a second version prefix (so no rule matches it)', () => {
    assert.equal(normaliseApiPath('/v1.41/v1.41/containers/json'), '/v1.41/containers/json');
  });
  it('refuses dot segments, empty segments and trailing slashes', () => {
    for (const p of [
      '/containers/../containers/create',
      '/v1.41/containers/./json',
      '/containers/json/..',
      '/containers//json',
      '//containers/json',
      '/containers/json/',
      '/',
      '/v1.41/',
      '/..',
    ])
      assert.equal(normaliseApiPath(p), null, p);
  });
  it('refuses every percent sign in the path, encoded slashes and dots first', () => {
    for (const p of [
      '/containers/x%2F..%2Fcreate/json',
      '/containers/%2e%2e/create',
      '/containers/%2E%2E/create',
      '/v1.41%2Fcontainers/json',
      '/containers/json%00',
      '/containers/%6ason',
      '/containers/json%',
    ])
      assert.equal(normaliseApiPath(p), null, p);
  });
  it('refuses backslashes, controls, spaces, non-ASCII, fragments and non-origin forms', () => {
    for (const p of [
      '/containers\\..\\create',
      '/containers/json\r\nX: y',
      '/containers/json\t',
      '/containers/ json',
      '/containers/jsön',
      '/containers/json#x',
      'http://localhost/containers/json',
      '*',
      'containers/json',
      '',
      `/${'a'.repeat(5000)}`,
    ])
      assert.equal(normaliseApiPath(p), null, JSON.stringify(p));
  });
});

describe('isAllowed', () => {
  it('allows exactly the listed GET endpoints, with or without a version prefix', () => {
    assert.equal(isAllowed(READ_ONLY, 'GET', '/v1.41/containers/json?all=true'), true);
    assert.equal(isAllowed(READ_ONLY, 'GET', `/containers/${ID}/json`), true);
    assert.equal(isAllowed(READ_ONLY, 'GET', '/v1.41/containers/web-1/logs?follow=1'), true);
    assert.equal(isAllowed(READ_ONLY, 'GET', '/events?since=0'), true);
    assert.equal(isAllowed(READ_ONLY, 'HEAD', '/_ping'), true);
  });
  it('refuses other methods on allowed paths, and every write', () => {
    assert.equal(isAllowed(READ_ONLY, 'POST', '/containers/json'), false);
    assert.equal(isAllowed(READ_ONLY, 'HEAD', '/containers/json'), false);
    assert.equal(isAllowed(READ_ONLY, 'get', '/containers/json'), false);
    assert.equal(isAllowed(READ_ONLY, 'POST', '/v1.41/containers/create'), false);
    assert.equal(isAllowed(READ_ONLY, 'DELETE', `/containers/${ID}`), false);
    assert.equal(isAllowed(READ_ONLY, 'POST', `/containers/${ID}/exec`), false);
  });
  it('anchors patterns: no prefix or suffix matches', () => {
    assert.equal(isAllowed(READ_ONLY, 'GET', '/containers/json/extra'), false);
    assert.equal(isAllowed(READ_ONLY, 'GET', '/x/containers/json'), false);
    assert.equal(isAllowed(READ_ONLY, 'GET', `/containers/${ID}/archive`), false);
    assert.equal(isAllowed(READ_ONLY, 'GET', '/containers/a/b/json'), false);
    assert.equal(isAllowed(READ_ONLY, 'GET', `/containers/${ID}/export`), false);
    assert.equal(isAllowed(READ_ONLY, 'GET', '/eventsX'), false);
    assert.equal(isAllowed([{ method: 'GET', path: '/a|/b' }], 'GET', '/b/c'), false, 'alternation stays inside the anchors');
  });
  it('refuses traversal and encoded variants that would land on a write endpoint', () => {
    assert.equal(isAllowed(READ_ONLY, 'GET', '/containers/../containers/json'), false);
    assert.equal(isAllowed(READ_ONLY, 'GET', '/containers/x%2F..%2F..%2Fcontainers/json'), false);
    assert.equal(isAllowed(READ_ONLY, 'GET', '/containers/%2e%2e/json'), false);
    assert.equal(isAllowed(READ_ONLY, 'GET', '/containers/../json'), false);
    assert.equal(isAllowed(READ_ONLY, 'GET', '/containers/./json'), false);
    assert.equal(isAllowed(READ_ONLY, 'GET', '/v1.41/../containers/json'), false);
  });
  it('normalisation protects loose patterns too', () => {
    const loose: ApiRule[] = [
      { method: 'GET', path: '/containers/[^/]+/json' },
      { method: 'GET', path: '/images/.+/json' },
    ];
    assert.equal(isAllowed(loose, 'GET', '/containers/x/json'), true);
    for (const p of ['/containers/../json', '/containers/%2e%2e/json', '/images/a/../../containers/json', '/images/x%2F..%2Fy/json', '/images/a//json'])
      assert.equal(isAllowed(loose, 'GET', p), false, p);
  });
  it('refuses everything with no rules', () => assert.equal(isAllowed([], 'GET', '/_ping'), false));
});

describe('parseApiRules', () => {
  it('reads a JSON array of rules', () => {
    assert.deepEqual(parseApiRules(JSON.stringify(READ_ONLY)), READ_ONLY);
  });
  it('rejects junk with a reason', () => {
    assert.throws(() => parseApiRules('{'), /not JSON/);
    assert.throws(() => parseApiRules('{}'), /array/);
    assert.throws(() => parseApiRules('[1]'), /rule 0 is not an object/);
    assert.throws(() => parseApiRules('[{"method":"PATCH","path":"/x"}]'), /unknown method/);
    assert.throws(() => parseApiRules('[{"method":"GET","path":""}]'), /empty path/);
    assert.throws(() => parseApiRules('[{"method":"GET","path":"("}]'), /rule 0/);
    // Rules come from the proxy's env or file: bad ones are a usage error, never reported as a bug.
    for (const bad of ['{', '{}', '[1]', '[{"method":"PATCH","path":"/x"}]', '[{"method":"GET","path":"("}]']) {
      assert.throws(() => parseApiRules(bad), UsageError, bad);
    }
    assert.throws(() => parseApiRules('[{"method":"GET","path":"/x","query":"y"}]'), /unknown keys: query/);
  });
});

describe('rule extensions (body, upgrade)', () => {
  it('parses body and upgrade, and refuses them in the wrong place', () => {
    const r = parseApiRules('[{"method":"POST","path":"/containers/create","body":"container-create"},{"method":"POST","path":"/exec/x/start","upgrade":true}]');
    assert.deepEqual(r, [
      { method: 'POST', path: '/containers/create', body: 'container-create' },
      { method: 'POST', path: '/exec/x/start', upgrade: true },
    ]);
    assert.throws(() => parseApiRules('[{"method":"GET","path":"/x","body":"container-create"}]'), /body must be/);
    assert.throws(() => parseApiRules('[{"method":"POST","path":"/x","body":"anything"}]'), /body must be/);
    assert.throws(() => parseApiRules('[{"method":"POST","path":"/x","upgrade":"yes"}]'), /upgrade must be/);
  });
  it('isHijackPath names only exec start and attach', () => {
    assert.equal(isHijackPath('POST', `/v1.41/exec/${ID}/start`), true);
    assert.equal(isHijackPath('POST', `/containers/${ID}/attach?stream=1&stdout=1`), true);
    assert.equal(isHijackPath('GET', `/containers/${ID}/attach`), false);
    assert.equal(isHijackPath('POST', `/containers/${ID}/start`), false);
    assert.equal(isHijackPath('POST', '/containers/create'), false);
    assert.equal(isHijackPath('POST', `/exec/${ID}/start/../../containers/create`), false);
    assert.equal(isHijackPath('POST', '/session'), false);
  });
});
