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
  it('refuses a low-order point and inputs of the wrong length', () => {
    expect(() => x25519Exp(new Uint8Array(32).fill(3), new Uint8Array(32))).toThrow();
    expect(() => x25519Exp(new Uint8Array(31), new Uint8Array(32))).toThrow(RangeError);
  });
});
