import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deg, irreducible, mod, mulMod, randomPolynomial } from './polynomial.js';

describe('polynomials over GF(2)', () => {
  it("knows restic's test polynomial is irreducible and its products are not", () => {
    assert.equal(irreducible(0x3da3358b4dc173n), true);
    // a product of two degree-27/26 factors is reducible
    assert.equal(irreducible(mulMod(0x8000003n, 0x4000007n, 1n << 60n)), false);
    // (x^2 + x + 1)(x^3 + x + 1) = x^5 + x^4 + 1
    assert.equal(irreducible(0b110001n), false);
    assert.equal(irreducible(0b111n), true);
    assert.equal(irreducible(0b1011n), true);
    assert.equal(irreducible(0b1001n), false); // x^3 + 1 = (x + 1)(x^2 + x + 1)
  });

  it('multiplies and reduces', () => {
    assert.equal(mod(0b110001n, 0b111n), 0n);
    assert.equal(mulMod(0b111n, 0b1011n, (1n << 62n) | 1n), 0b110001n);
    assert.equal(deg(1n << 53n), 53);
  });

  it('draws irreducible polynomials of degree 53', () => {
    for (let i = 0; i < 3; i++) {
      const p = randomPolynomial();
      assert.equal(deg(p), 53);
      assert.equal(irreducible(p), true);
    }
  });
});
