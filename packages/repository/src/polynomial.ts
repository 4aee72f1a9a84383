/**
 * Polynomials over GF(2) of degree < 64, as bigints (bit i is the coefficient of x^i): the chunker's
 * random irreducible polynomial (restic/chunker's polynomials.go: a random degree-53 polynomial is
 * irreducible when gcd(f, x^(2^i) - x mod f) = 1 for every i <= deg/2, Ben-Or's test).
 * Only used when a repository is created and when the chunker's tables are built: speed is no issue.
 */
import { randomBytes } from 'node:crypto';
import { BugError } from '@dockside/common';

export type Pol = bigint;

export function deg(x: Pol): number {
  return x === 0n ? -1 : x.toString(2).length - 1;
}

/** x mod d (polynomial division remainder). */
export function mod(x: Pol, d: Pol): Pol {
  if (d === 0n) throw new BugError('division by zero polynomial');
  const dd = deg(d);
  let r = x;
  for (let dr = deg(r); dr >= dd; dr = deg(r)) r ^= d << BigInt(dr - dd);
  return r;
}

/** (a * b) mod m, without growing beyond 2 * deg(m) bits at each step. */
export function mulMod(a: Pol, b: Pol, m: Pol): Pol {
  let res = 0n;
  let x = mod(a, m);
  let y = b;
  const top = 1n << BigInt(deg(m));
  while (y > 0n) {
    if (y & 1n) res ^= x;
    y >>= 1n;
    x <<= 1n;
    if (x & top) x ^= m;
  }
  return mod(res, m);
}

export function gcd(a: Pol, b: Pol): Pol {
  while (b !== 0n) [a, b] = [b, mod(a, b)];
  return a;
}

/** x^(2^p) - x mod g (in GF(2), minus is plus). */
function qp(p: number, g: Pol): Pol {
  let res: Pol = 2n; // x
  for (let i = 0; i < p; i++) res = mulMod(res, res, g);
  return mod(res ^ 2n, g);
}

export function irreducible(x: Pol): boolean {
  const d = deg(x);
  for (let i = 1; i <= Math.floor(d / 2); i++) if (gcd(x, qp(i, x)) !== 1n) return false;
  return true;
}

/** A random irreducible polynomial of degree 53, as restic's `chunker.RandomPolynomial`. */
export function randomPolynomial(random: (n: number) => Buffer = randomBytes): Pol {
  for (let i = 0; i < 1_000_000; i++) {
    let f = random(8).readBigUInt64LE(0);
    f &= (1n << 54n) - 1n;
    f |= (1n << 53n) | 1n;
    if (irreducible(f)) return f;
  }
  throw new BugError('no irreducible polynomial found (the random source is broken)');
}
