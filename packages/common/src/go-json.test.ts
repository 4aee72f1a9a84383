import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONTAINER_CREATE, EXEC_START, HOST_CONFIG } from './docker-schema.js';
import { GoJsonError, decodeGoBody, goFieldFor, goFoldKey, parseGoJson, serialiseCanonical } from './go-json.js';
import { HOST_CONFIG_POLICY } from './create-policy.js';

const canon = (text: string | Buffer) => serialiseCanonical(decodeGoBody(text, CONTAINER_CREATE));

describe('parseGoJson', () => {
  it('keeps every member, duplicates included, in order', () => {
    assert.deepEqual(parseGoJson('{"a":1,"a":2}'), {
      t: 'obj',
      members: [
        { key: 'a', value: { t: 'num', raw: '1' } },
        { key: 'a', value: { t: 'num', raw: '2' } },
      ],
    });
  });
  it('decodes \\u escapes in keys; lone surrogates and invalid UTF-8 become U+FFFD', () => {
    const keys = (v: ReturnType<typeof parseGoJson>) => (v.t === 'obj' ? v.members.map((m) => m.key) : []);
    assert.deepEqual(keys(parseGoJson('{"\\u0050rivileged":1,"\\ud800x":2,"\\ud83d\\ude00":3}')), ['Privileged', '\ufffdx', '\u{1f600}']);
    assert.deepEqual(keys(parseGoJson(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]))), ['\ufffd']);
  });
  it('refuses what Go refuses, and anything after the value', () => {
    for (const bad of ['{"a":1}x', '{"a":1} {"b":2}', '\ufeff{}', '{"a":01}', '{"a":"\u0001"}', "{'a':1}", '{"a":1,}', '[1 2]', '{"a":"\\x"}', '']) {
      assert.throws(() => parseGoJson(bad), GoJsonError, JSON.stringify(bad));
    }
    assert.throws(() => parseGoJson('['.repeat(100) + ']'.repeat(100)), /nested deeper/);
  });
});

describe('Go field matching', () => {
  it('folds ASCII case, KELVIN SIGN as k and LONG S as s, nothing else', () => {
    assert.equal(goFoldKey('networ\u212amode'), 'NETWORKMODE');
    assert.equal(goFoldKey('\u017fecurityopt'), 'SECURITYOPT');
    assert.equal(goFieldFor('Networ\u212aMode', Object.keys(HOST_CONFIG.fields)), 'NetworkMode');
    assert.equal(goFieldFor('bind\u017f', Object.keys(HOST_CONFIG.fields)), 'Binds');
    assert.equal(goFieldFor('PRIVILEGED', Object.keys(HOST_CONFIG.fields)), 'Privileged');
    // U+0130 (dotted capital I) does not fold to i in Go's simple folding; fullwidth letters neither.
    assert.equal(goFieldFor('Pr\u0130vileged', Object.keys(HOST_CONFIG.fields)), undefined);
    assert.equal(goFieldFor('\uff30rivileged', Object.keys(HOST_CONFIG.fields)), undefined);
  });
});

describe('decodeGoBody onto the create schema', () => {
  it('maps any spelling the engine accepts onto its exact field name', () => {
    assert.equal(
      canon('{"image":"a","hostconfig":{"privileged":true,"NETWORKMODE":"host","Bind\u017f":["/:/h"],"capadd":"SYS_ADMIN"}}'),
      '{"Image":"a","HostConfig":{"Binds":["/:/h"],"NetworkMode":"host","CapAdd":["SYS_ADMIN"],"Privileged":true}}',
    );
    assert.equal(canon('{"Host\\u0043onfig":{"Networ\\u212aMode":"host"}}'), '{"HostConfig":{"NetworkMode":"host"}}');
    assert.equal(canon('{"HostConfig":{"mounts":[{"type":"bind","SOURCE":"/","target":"/h"}]}}'), '{"HostConfig":{"Mounts":[{"Type":"bind","Source":"/","Target":"/h"}]}}');
  });
  it('refuses a field named twice, in any spelling, at any depth', () => {
    for (const body of [
      '{"HostConfig":{"Privileged":false,"privileged":true}}',
      '{"HostConfig":{"Privileged":false,"Privileged":true}}',
      '{"HostConfig":{},"hostconfig":{"Privileged":true}}',
      '{"HostConfig":{"Mounts":[{"Source":"/a","source":"/"}]}}',
      '{"Labels":{"a":"1","a":"2"}}',
      '{"HostConfig":{"NetworkMode":"none","Networ\u212aMode":"host"}}',
    ]) {
      assert.throws(() => canon(body), /twice/, body);
    }
  });
  it('refuses unknown fields, HostConfig fields at the top level, and wrong types', () => {
    assert.throws(() => canon('{"HostConfig":{"NotAField":1}}'), /"HostConfig.NotAField" is not a field the policy knows/);
    assert.throws(() => canon('{"Privileged":true}'), /"Privileged" is not a field/);
    assert.throws(() => canon('{"Cpuset":"0"}'), /not a field/);
    assert.throws(() => canon('{"HostConfig":{"Privileged":"true"}}'), /HostConfig.Privileged is not a boolean/);
    assert.throws(() => canon('{"HostConfig":{"Memory":1.5}}'), /not an integer/);
    assert.throws(() => canon('{"HostConfig":{"Binds":["/a",null]}}'), /is null/);
  });
  it('keeps big integers as their literal, drops nulls, empties struct{} maps', () => {
    assert.equal(
      canon('{"HostConfig":{"Memory":9223372036854775807,"CgroupParent":null},"ExposedPorts":{"80/tcp":{"x":1}}}'),
      '{"ExposedPorts":{"80/tcp":{}},"HostConfig":{"Memory":9223372036854775807}}',
    );
    assert.throws(() => canon('{"HostConfig":{"Memory":9223372036854775808}}'), /in range/);
  });
  it('drops unknown keys where the engine does and nothing there matters (exec start)', () => {
    assert.equal(serialiseCanonical(decodeGoBody('{"hijack":true,"stdin":false,"detach":false,"Tty":true}', EXEC_START)), '{"Detach":false,"Tty":true}');
  });
  it('HOST_CONFIG_POLICY names every HostConfig field of the schema, and only those', () => {
    assert.deepEqual(Object.keys(HOST_CONFIG_POLICY).sort(), Object.keys(HOST_CONFIG.fields).sort());
  });
});
