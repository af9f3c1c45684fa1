/**
 * The Noise functions (Noise Protocol Framework rev. 34 §4, §12): DH 25519 and 448, ciphers
 * ChaChaPoly and AESGCM, hashes SHA256, SHA512, BLAKE2s and BLAKE2b, from @noble (ChaChaPoly
 * through node:crypto in Node, `#chacha`).
 */
import { gcm } from '@noble/ciphers/aes.js';
import { x448 } from '@noble/curves/ed448.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { blake2b, blake2s } from '@noble/hashes/blake2.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import type { CHash } from '@noble/hashes/utils.js';
import { chachaPoly } from '#chacha';
import { NoiseError } from './errors.js';
import { nonceBytes } from './nonce.js';

/** A DH function (§4.1). */
export interface DhFunction {
  readonly name: '25519' | '448';
  readonly dhLen: number;
  generatePrivateKey(): Uint8Array;
  publicKey(privateKey: Uint8Array): Uint8Array;
  dh(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
}

/** A cipher function (§4.2): AEAD with a 64-bit counter nonce. */
export interface CipherFunction {
  readonly name: 'ChaChaPoly' | 'AESGCM';
  encrypt(key: Uint8Array, nonce: bigint, ad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** @returns the plaintext, or undefined when authentication fails */
  decrypt(
    key: Uint8Array,
    nonce: bigint,
    ad: Uint8Array,
    ciphertext: Uint8Array,
  ): Uint8Array | undefined;
}

/** A hash function (§4.3). */
export interface HashFunction {
  readonly name: 'SHA256' | 'SHA512' | 'BLAKE2s' | 'BLAKE2b';
  readonly hashLen: number;
  readonly hash: CHash;
}

function curve(name: '25519' | '448', impl: typeof x25519, dhLen: number): DhFunction {
  return {
    name,
    dhLen,
    generatePrivateKey: () => impl.utils.randomSecretKey(),
    publicKey: (privateKey) => impl.getPublicKey(privateKey),
    dh(privateKey, publicKey) {
      try {
        return impl.getSharedSecret(privateKey, publicKey);
      } catch (error) {
        throw new NoiseError('bad-message', 'invalid DH public key', { cause: error });
      }
    },
  };
}

export const DH: Record<string, DhFunction> = {
  '25519': curve('25519', x25519, 32),
  '448': curve('448', x448 as unknown as typeof x25519, 56),
};

function aead(
  name: 'ChaChaPoly' | 'AESGCM',
  make: (key: Uint8Array, nonce: Uint8Array, ad: Uint8Array) => ReturnType<typeof gcm>,
  littleEndian: boolean,
): CipherFunction {
  return {
    name,
    encrypt: (key, nonce, ad, plaintext) =>
      make(key, nonceBytes(nonce, littleEndian), ad).encrypt(plaintext),
    decrypt(key, nonce, ad, ciphertext) {
      try {
        return make(key, nonceBytes(nonce, littleEndian), ad).decrypt(ciphertext);
      } catch {
        return undefined;
      }
    },
  };
}

export const CIPHERS: Record<string, CipherFunction> = {
  // node:crypto in Node, @noble in browsers: the same bytes (test/cipher-paths.test.ts).
  ChaChaPoly: chachaPoly,
  AESGCM: aead('AESGCM', gcm, false),
};

export const HASHES: Record<string, HashFunction> = {
  SHA256: { name: 'SHA256', hashLen: 32, hash: sha256 },
  SHA512: { name: 'SHA512', hashLen: 64, hash: sha512 },
  BLAKE2s: { name: 'BLAKE2s', hashLen: 32, hash: blake2s },
  BLAKE2b: { name: 'BLAKE2b', hashLen: 64, hash: blake2b },
};
