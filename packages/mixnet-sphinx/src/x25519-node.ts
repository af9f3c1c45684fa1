/**
 * X25519 through node:crypto (OpenSSL), the `#x25519` import in Node: the same results as
 * noble's (`x25519-web.ts`, a property test compares them), several times faster. Keys enter
 * as JWK, the cheapest import Node has: a private JWK must carry `x`, but OpenSSL derives the
 * public key from `d` and ignores it, so a zero `x` is given instead of computing one. A
 * scalar passed again (a mix's own key, the same array) reuses its imported key.
 */
import { createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';

const ZERO_X = Buffer.alloc(32).toString('base64url');
const imported = new WeakMap<Uint8Array, KeyObject>();

function privateKey(scalar: Uint8Array): KeyObject {
  let key = imported.get(scalar);
  if (!key) {
    key = createPrivateKey({
      key: { kty: 'OKP', crv: 'X25519', d: Buffer.from(scalar).toString('base64url'), x: ZERO_X },
      format: 'jwk',
    });
    imported.set(scalar, key);
  }
  return key;
}

/**
 * X25519(scalar, point).
 *
 * @throws RangeError for inputs not 32 bytes; Error when the result is all zero (a low-order
 *   point), as noble throws
 */
export function x25519Exp(scalar: Uint8Array, point: Uint8Array): Uint8Array {
  if (scalar.length !== 32 || point.length !== 32)
    throw new RangeError('X25519 takes 32-byte inputs');
  const publicKey = createPublicKey({
    key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(point).toString('base64url') },
    format: 'jwk',
  });
  const out = new Uint8Array(diffieHellman({ privateKey: privateKey(scalar), publicKey }));
  let any = 0;
  for (const b of out) any |= b;
  if (any === 0) throw new Error('X25519: low-order point');
  return out;
}

/** The public key of a scalar. */
export function x25519Base(scalar: Uint8Array): Uint8Array {
  const jwk = createPublicKey(privateKey(scalar)).export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(jwk.x as string, 'base64url'));
}
