/**
 * specs/mixnet-sphinx/SPEC.md §4: the Node fast path of X25519 (node:crypto) gives exactly
 * noble's results, and refuses low-order points as noble does.
 */
import { x25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { x25519Base, x25519Exp } from '../src/x25519-node.js';

describe('X25519 through node:crypto', () => {
  it('equals noble for any scalar and point (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (scalar, seed) => {
          const point = x25519.getPublicKey(seed);
          expect(x25519Exp(scalar, point)).toEqual(x25519.getSharedSecret(scalar, point));
          expect(x25519Base(scalar)).toEqual(x25519.getPublicKey(scalar));
        },
      ),
      { numRuns: 200 },
    );
  });
  it('the cached point key follows the bytes: a reused buffer, a once scalar (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (scalar, seedA, seedB) => {
          // One buffer holding two points in turn, as a caller reusing its buffer would.
          const buffer = x25519.getPublicKey(seedA);
          const pointA = buffer.slice();
          expect(x25519Exp(scalar, buffer)).toEqual(x25519.getSharedSecret(scalar, pointA));
          expect(x25519Exp(seedB, buffer, true)).toEqual(x25519.getSharedSecret(seedB, pointA));
          buffer.set(x25519.getPublicKey(seedB));
          expect(x25519Exp(scalar, buffer)).toEqual(x25519.getSharedSecret(scalar, buffer));
          // A scalar array changed after use is imported again when passed as `once`.
          const blinding = seedA.slice();
          expect(x25519Exp(blinding, buffer, true)).toEqual(x25519.getSharedSecret(seedA, buffer));
          blinding.set(seedB);
          expect(x25519Exp(blinding, buffer, true)).toEqual(x25519.getSharedSecret(seedB, buffer));
        },
      ),
      { numRuns: 50 },
    );
  });
  it('refuses a low-order point and inputs of the wrong length', () => {
    expect(() => x25519Exp(new Uint8Array(32).fill(3), new Uint8Array(32))).toThrow();
    expect(() => x25519Exp(new Uint8Array(31), new Uint8Array(32))).toThrow(RangeError);
  });
});
