/**
 * The symmetric primitives of the header (specs/mixnet-sphinx/SPEC.md §4) through node:crypto
 * (OpenSSL), the `#primitives` import in Node: the same results as `primitives-web.ts` (a
 * property test compares them). ChaCha20's 16-byte IV is the 32-bit little-endian counter and
 * the 12-byte nonce, both zero here.
 *
 * HKDF expand and the ChaCha20 keystream are the browser path's own TypeScript: for the
 * lengths a hop asks (160 and 32 bytes) creating node:crypto objects costs more than the
 * work (five `createHmac` ≈23 µs, one `createCipheriv('chacha20')` ≈6 µs, against ≈9 µs
 * and under one µs written out). HMAC over a header, AES-CTR and SHA-512/256 stay with
 * OpenSSL, where the bytes outweigh the setup.
 */
import { createCipheriv, createHash, createHmac } from 'node:crypto';

export { chacha20KeyStream, hkdfExpandSha256 } from './primitives-web.js';

/** HMAC-SHA256 over the parts. */
export function hmacSha256(key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array {
  const mac = createHmac('sha256', key);
  for (const part of parts) mac.update(part);
  return new Uint8Array(mac.digest());
}

/** `length` bytes of AES-256-CTR keystream from the 16-byte initial counter block. */
export function aes256CtrKeyStream(key: Uint8Array, iv: Uint8Array, length: number): Uint8Array {
  return new Uint8Array(createCipheriv('aes-256-ctr', key, iv).update(new Uint8Array(length)));
}

/** SHA-512/256. */
export function sha512t256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha512-256').update(data).digest());
}
