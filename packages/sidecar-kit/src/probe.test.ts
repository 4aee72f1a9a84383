import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cidrOf, probe } from './probe.js';

describe('probe', () => {
  it('shows interface addresses in CIDR notation, not netmasks', async () => {
    assert.equal(cidrOf({ address: '172.17.0.2', netmask: '255.255.0.0' }), '172.17.0.2/16');
    assert.equal(cidrOf({ address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::' }), 'fe80::1/64');
    const report = await probe('test', '1');
    const lo = report.interfaces.find((i) => i.name === 'lo');
    assert.ok(lo?.addresses.includes('127.0.0.1/8'), JSON.stringify(lo));
    assert.ok(report.interfaces.every((i) => i.addresses.every((a) => /\/\d+$/.test(a))));
  });
});
