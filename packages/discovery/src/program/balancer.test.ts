import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Instance } from '../registry/instance.js';
import { Balancer } from './balancer.js';

const inst = (address: string): Instance => ({ service: 's', id: address, address, port: 80, tags: [], host: 'h', container: address, containerName: address, registeredAt: '' });

describe('ambassador balancer', () => {
  it('spreads new connections round-robin, drops a withdrawn instance at once, tries a failed one last', () => {
    let now = 0;
    const b = new Balancer(5000, () => now);
    b.update([inst('10.0.0.2'), inst('10.0.0.1')]);
    const firsts = [0, 1, 2, 3].map(() => b.order()[0]?.address);
    assert.deepEqual(firsts, ['10.0.0.1', '10.0.0.2', '10.0.0.1', '10.0.0.2']);
    b.failed(inst('10.0.0.1'));
    assert.deepEqual(
      b.order().map((i) => i.address),
      ['10.0.0.2', '10.0.0.1'],
    );
    assert.deepEqual(
      b.order().map((i) => i.address),
      ['10.0.0.2', '10.0.0.1'],
    );
    now = 6000;
    assert.equal(b.order().length, 2);
    assert.equal(b.update([inst('10.0.0.2')]), true);
    assert.deepEqual(
      [0, 1, 2].map(() => b.order().map((i) => i.address)),
      [['10.0.0.2'], ['10.0.0.2'], ['10.0.0.2']],
    );
    assert.equal(b.stats.get('10.0.0.1:80')?.healthy, false);
    assert.equal(b.update([inst('10.0.0.2')]), false);
    b.update([]);
    assert.deepEqual(b.order(), []);
  });
});
