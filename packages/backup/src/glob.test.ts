import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeExcluder } from './glob.js';

test('a pattern without a slash matches a name at any depth', () => {
  const ex = makeExcluder(['*.log', 'cache']);
  assert.ok(ex('app.log'));
  assert.ok(ex('a/b/app.log'));
  assert.ok(ex('cache'));
  assert.ok(ex('x/cache'));
  assert.ok(!ex('cached'));
  assert.ok(!ex('app.log.gz'));
});

test('a pattern with a slash is anchored at the volume root; ** crosses directories', () => {
  const ex = makeExcluder(['tmp/*', 'logs/**/*.gz', '/top.txt', 'cache/']);
  assert.ok(ex('tmp/x'));
  assert.ok(!ex('tmp/x/y'));
  assert.ok(!ex('a/tmp/x'));
  assert.ok(ex('logs/a.gz'));
  assert.ok(ex('logs/2026/11/a.gz'));
  assert.ok(ex('top.txt'));
  assert.ok(!ex('a/top.txt'));
  assert.ok(ex('cache'));
});

test('character classes and ? work; regex metacharacters are literal', () => {
  const ex = makeExcluder(['file?.[ab]', 'a+b(c).txt']);
  assert.ok(ex('file1.a'));
  assert.ok(!ex('file1.c'));
  assert.ok(ex('a+b(c).txt'));
  assert.ok(!ex('aab(c).txt'));
  assert.equal(makeExcluder([])('anything'), false);
});
