/**
 * The symmetric primitives of the header (specs/mixnet-sphinx/SPEC.md §4) through node:crypto
 * (OpenSSL), the `#primitives` import in Node: the same results as `primitives-web.ts` (a
 * property test compares them). ChaCha20's 16-byte IV is the 32-bit little-endian counter and
 * the 12-byte nonce, both zero here.
 */
import { createCipheriv, createHash, createHmac } from 'node:crypto';

const ZERO_IV = Buffer.alloc(16);

/** HKDF-SHA256 expand only (RFC 5869 §2.3; node's hkdf always extracts first). */
export function hkdfExpandSha256(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let previous: Uint8Array = new Uint8Array(0);
  for (let i = 1, at = 0; at < length; i++) {
    previous = createHmac('sha256', prk)
      .update(previous)
      .update(info)
      .update(Uint8Array.of(i))
      .digest();
    out.set(previous.subarray(0, Math.min(previous.length, length - at)), at);
    at += previous.length;
  }
  return out;
}

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

/** `length` bytes of ChaCha20 keystream, zero nonce and counter. */
export function chacha20KeyStream(key: Uint8Array, length: number): Uint8Array {
  return new Uint8Array(createCipheriv('chacha20', key, ZERO_IV).update(new Uint8Array(length)));
}

/** SHA-512/256. */
export function sha512t256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha512-256').update(data).digest());
}
