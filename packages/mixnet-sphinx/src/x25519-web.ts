/**
 * X25519 for browsers (the `#x25519` import's default): noble's. The Node build has a
 * node:crypto path with the same results (`x25519-node.ts`).
 */
import { x25519 } from '@noble/curves/ed25519.js';

/**
 * X25519(scalar, point).
 *
 * @throws Error when the result is all zero (a low-order point)
 */
export function x25519Exp(scalar: Uint8Array, point: Uint8Array): Uint8Array {
  return x25519.getSharedSecret(scalar, point);
}

/** The public key of a scalar. */
export function x25519Base(scalar: Uint8Array): Uint8Array {
  return x25519.getPublicKey(scalar);
}
