/**
 * X25519 through node:crypto (OpenSSL), the `#x25519` import in Node (specs/mixnet-sphinx/
 * SPEC.md §4): the same results as noble's (`x25519-web.ts`, a property test compares them),
 * several times faster. Keys enter as JWK, the cheapest import Node 20 has (DER is slower, a
 * raw private import does not exist before Node 22): a private JWK must carry `x`, but
 * OpenSSL derives the public key from `d` and ignores it, so a zero `x` is given instead of
 * computing one.
 *
 * Two caches, because a mix's hop makes two exponentiations of the same alpha (its own key,
 * then the blinding scalar) and every hop uses the same private key:
 * - a scalar passed again (the same array: a mix's own key) reuses its imported key;
 * - the last point's imported public key is kept, with a copy of its bytes, so the second
 *   exponentiation of a hop skips the public import (≈11 µs). The bytes are compared, not
 *   the array, so a caller reusing a buffer for another point cannot get a stale key.
 * What remains per hop is the floor of this API: two `diffieHellman` and one private import
 * (the blinding scalar's, in which OpenSSL computes a base-point multiplication).
 */
import { createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';

const ZERO_X = Buffer.alloc(32).toString('base64url');
const imported = new WeakMap<Uint8Array, KeyObject>();
const lastPoint = new Uint8Array(32);
let lastPublic: KeyObject | undefined;

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64url');
}

function privateKey(scalar: Uint8Array, keep: boolean): KeyObject {
  let key = imported.get(scalar);
  if (!key) {
    key = createPrivateKey({
      key: { kty: 'OKP', crv: 'X25519', d: base64url(scalar), x: ZERO_X },
      format: 'jwk',
    });
    if (keep) imported.set(scalar, key);
  }
  return key;
}

function samePoint(point: Uint8Array): boolean {
  let diff = 0;
  for (let i = 0; i < 32; i++) diff |= point[i]! ^ lastPoint[i]!;
  return diff === 0;
}

function publicKey(point: Uint8Array): KeyObject {
  if (lastPublic && samePoint(point)) return lastPublic;
  lastPublic = createPublicKey({
    key: { kty: 'OKP', crv: 'X25519', x: base64url(point) },
    format: 'jwk',
  });
  lastPoint.set(point);
  return lastPublic;
}

/**
 * X25519(scalar, point).
 *
 * @param once - the scalar is used once (a blinding scalar): its imported key is not kept
 * @throws RangeError for inputs not 32 bytes; Error when the result is all zero (a low-order
 *   point), as noble throws
 */
export function x25519Exp(scalar: Uint8Array, point: Uint8Array, once = false): Uint8Array {
  if (scalar.length !== 32 || point.length !== 32)
    throw new RangeError('X25519 takes 32-byte inputs');
  const secret = diffieHellman({
    privateKey: privateKey(scalar, !once),
    publicKey: publicKey(point),
  });
  const out = new Uint8Array(secret.buffer, secret.byteOffset, secret.length);
  let any = 0;
  for (let i = 0; i < 32; i++) any |= out[i]!;
  if (any === 0) throw new Error('X25519: low-order point');
  return out;
}

/** The public key of a scalar. */
export function x25519Base(scalar: Uint8Array): Uint8Array {
  const jwk = createPublicKey(privateKey(scalar, true)).export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(jwk.x as string, 'base64url'));
}
