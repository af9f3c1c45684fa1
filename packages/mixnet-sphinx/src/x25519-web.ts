/**
 * X25519 for browsers (the `#x25519` import's default, specs/mixnet-sphinx/SPEC.md §4):
 * noble's. The Node build has a node:crypto path with the same results (`x25519-node.ts`).
 */
import { x25519 } from '@noble/curves/ed25519.js';

/**
 * X25519(scalar, point).
 *
 * @param _once - the scalar is used once (a blinding scalar): a hint the Node path uses not
 *   to keep its imported key; noble keeps nothing
 * @throws Error when the result is all zero (a low-order point)
 */
export function x25519Exp(scalar: Uint8Array, point: Uint8Array, _once = false): Uint8Array {
  return x25519.getSharedSecret(scalar, point);
}

/** The public key of a scalar. */
export function x25519Base(scalar: Uint8Array): Uint8Array {
  return x25519.getPublicKey(scalar);
}
