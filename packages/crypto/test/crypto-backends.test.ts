/**
 * The backend compliance suite (SPEC §5): every backend gives the same answers as every other
 * on random inputs, matches known answers, and refuses bad keys and signatures the same way.
 */

import { hex, loadVectors } from '@hush/test-support';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CryptoBackend, defaultBackend, nobleBackend, randomBytes } from '../src/index.js';

const backends: CryptoBackend[] = [nobleBackend, defaultBackend];
const N = secp256k1.Point.CURVE().n;

const privateKeyArb = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .filter((k) => nobleBackend.isValidPrivateKey(k));
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

function toBytes32(value: bigint): Uint8Array {
  return hex(`0x${value.toString(16).padStart(64, '0')}`);
}

it('runs the native backend in Node', () => {
  expect(defaultBackend.name).toBe('node');
  expect((defaultBackend as { native?: boolean }).native).toBe(true);
});

describe.each(backends.map((b) => [b.name, b] as const))('%s backend', (_, backend) => {
  it('derives geth password keys (symkey-password.json)', () => {
    for (const c of loadVectors<{ passwordHex: string; symKey: string }>('symkey-password.json')
      .cases) {
      expect(backend.pbkdf2Sha256(hex(c.passwordHex), new Uint8Array(0), 65356, 32)).toEqual(
        hex(c.symKey),
      );
    }
  });

  it('AES-GCM round-trips with 16-, 24- and 32-byte keys and refuses tampering', () => {
    for (const size of [16, 24, 32]) {
      const key = randomBytes(size);
      const nonce = randomBytes(12);
      const plaintext = randomBytes(333);
      const sealed = backend.aesGcmSeal(key, nonce, plaintext);
      expect(sealed.length).toBe(333 + 16);
      expect(backend.aesGcmOpen(key, nonce, sealed)).toEqual(plaintext);
      sealed[5]! ^= 1;
      expect(backend.aesGcmOpen(key, nonce, sealed)).toBeNull();
      expect(backend.aesGcmOpen(key, nonce, sealed.subarray(0, 10))).toBeNull();
    }
  });

  it('opens with the key array as it is now, even when changed in place', () => {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const sealed = backend.aesGcmSeal(key, nonce, Uint8Array.of(1, 2, 3));
    expect(backend.aesGcmOpen(key, nonce, sealed)).toEqual(Uint8Array.of(1, 2, 3));
    const original = key.slice();
    key[0] ^= 1;
    expect(backend.aesGcmOpen(key, nonce, sealed)).toBeNull();
    key.set(original);
    expect(backend.aesGcmOpen(key, nonce, sealed)).toEqual(Uint8Array.of(1, 2, 3));
  });

  it('signs deterministically (RFC 6979, low S) and recovers the signer', () => {
    fc.assert(
      fc.property(privateKeyArb, bytes32, (key, hash) => {
        const signature = backend.signRecoverable(hash, key);
        expect(signature[64]! <= 1).toBe(true);
        expect(
          BigInt(`0x${Buffer.from(signature.subarray(32, 64)).toString('hex')}`) <= N / 2n,
        ).toBe(true);
        expect(backend.recoverPublicKey(hash, signature)).toEqual(backend.publicKeyCreate(key));
      }),
      { numRuns: 30 },
    );
  });

  it('recovers from high-S signatures and refuses out-of-range ones', () => {
    const key = randomBytes(32);
    const hash = randomBytes(32);
    const low = backend.signRecoverable(hash, key);
    const s = BigInt(`0x${Buffer.from(low.subarray(32, 64)).toString('hex')}`);
    const high = Uint8Array.of(...low.subarray(0, 32), ...toBytes32(N - s), low[64]! ^ 1);
    expect(backend.recoverPublicKey(hash, high)).toEqual(backend.publicKeyCreate(key));
    const zeroR = Uint8Array.of(...new Uint8Array(32), ...low.subarray(32));
    expect(backend.recoverPublicKey(hash, zeroR)).toBeNull();
    const bigS = Uint8Array.of(...low.subarray(0, 32), ...toBytes32(N), low[64]!);
    expect(backend.recoverPublicKey(hash, bigS)).toBeNull();
    expect(backend.recoverPublicKey(hash, Uint8Array.of(...low.subarray(0, 64), 4))).toBeNull();
    expect(backend.recoverPublicKey(hash, Uint8Array.of(...low.subarray(0, 64), 27))).toBeNull();
    expect(backend.recoverPublicKey(hash, new Uint8Array(65))).toBeNull();
  });

  it('computes ECDH x coordinates symmetrically', () => {
    fc.assert(
      fc.property(privateKeyArb, privateKeyArb, (a, b) => {
        const ab = backend.ecdhX(a, backend.publicKeyCreate(b));
        expect(ab).toEqual(backend.ecdhX(b, backend.publicKeyCreate(a)));
        expect(ab.length).toBe(32);
      }),
      { numRuns: 20 },
    );
  });

  it('validates keys', () => {
    const pub = backend.publicKeyCreate(randomBytes(32));
    expect(backend.isValidPublicKey(pub)).toBe(true);
    const offCurve = pub.slice();
    offCurve[64]! ^= 1;
    expect(backend.isValidPublicKey(offCurve)).toBe(false);
    expect(backend.isValidPublicKey(pub.subarray(0, 33))).toBe(false);
    const compressedPrefix = pub.slice();
    compressedPrefix[0] = 2;
    expect(backend.isValidPublicKey(compressedPrefix)).toBe(false);
    expect(backend.isValidPrivateKey(new Uint8Array(32))).toBe(false);
    expect(backend.isValidPrivateKey(toBytes32(N))).toBe(false);
    expect(backend.isValidPrivateKey(toBytes32(N - 1n))).toBe(true);
    expect(() => backend.ecdhX(randomBytes(32), offCurve)).toThrow();
  });
});

describe('backends agree byte for byte', () => {
  const [a, b] = backends as [CryptoBackend, CryptoBackend];
  it('on every primitive for random inputs', () => {
    fc.assert(
      fc.property(
        privateKeyArb,
        privateKeyArb,
        bytes32,
        fc.uint8Array({ maxLength: 600 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (k1, k2, hash, data, iv) => {
          expect(a.publicKeyCreate(k1)).toEqual(b.publicKeyCreate(k1));
          expect(a.ecdhX(k1, a.publicKeyCreate(k2))).toEqual(b.ecdhX(k1, b.publicKeyCreate(k2)));
          expect(a.signRecoverable(hash, k1)).toEqual(b.signRecoverable(hash, k1));
          expect(a.aesGcmSeal(hash, iv.subarray(0, 12), data)).toEqual(
            b.aesGcmSeal(hash, iv.subarray(0, 12), data),
          );
          expect(a.aes128Ctr(iv, iv, data)).toEqual(b.aes128Ctr(iv, iv, data));
          expect(a.sha256(data)).toEqual(b.sha256(data));
          expect(a.hmacSha256(hash, data, iv)).toEqual(b.hmacSha256(hash, data, iv));
        },
      ),
      { numRuns: 30 },
    );
  });
});
