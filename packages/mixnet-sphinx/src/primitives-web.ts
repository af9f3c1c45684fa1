/**
 * The symmetric primitives of the header (specs/mixnet-sphinx/SPEC.md §4) for browsers (the
 * `#primitives` import's default): noble's. Node has a node:crypto path with the same results
 * (`primitives-node.ts`).
 */
import { ctr } from '@noble/ciphers/aes.js';
import { chacha20 } from '@noble/ciphers/chacha.js';
import { expand } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512_256 } from '@noble/hashes/sha2.js';

/** HKDF-SHA256 expand only. */
export function hkdfExpandSha256(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return expand(sha256, prk, info, length);
}

/** HMAC-SHA256 over the parts. */
export function hmacSha256(key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array {
  const mac = hmac.create(sha256, key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/** `length` bytes of AES-256-CTR keystream from the 16-byte initial counter block. */
export function aes256CtrKeyStream(key: Uint8Array, iv: Uint8Array, length: number): Uint8Array {
  return ctr(key, iv).encrypt(new Uint8Array(length));
}

/** `length` bytes of ChaCha20 keystream, zero nonce and counter. */
export function chacha20KeyStream(key: Uint8Array, length: number): Uint8Array {
  return chacha20(key, new Uint8Array(12), new Uint8Array(length));
}

/** SHA-512/256. */
export function sha512t256(data: Uint8Array): Uint8Array {
  return sha512_256(data);
}
