/**
 * The cryptographic operations a Whisper v6 message needs (specs/whisper-v6 SPEC §5), behind
 * one interface so that a pure-JS implementation (browsers) and a native one (Node) can be
 * swapped and checked against each other. Every operation is synchronous.
 */

/** A set of primitives. Implementations must give identical results for identical inputs. */
export interface CryptoBackend {
  /** 'noble' (pure JS) or 'node' (node:crypto and libsecp256k1). */
  readonly name: string;

  /** AES-GCM with a 16-, 24- or 32-byte key and a 12-byte nonce, no AAD: ciphertext ‖ tag. */
  aesGcmSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Opens ciphertext ‖ 16-byte tag; null when authentication fails. */
  aesGcmOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Uint8Array | null;
  /** AES-128 in CTR mode (big-endian 128-bit counter starting at `iv`). */
  aes128Ctr(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array;
  sha256(data: Uint8Array): Uint8Array;
  /** HMAC-SHA-256 of the concatenation of `parts`. */
  hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array;
  pbkdf2Sha256(
    password: Uint8Array,
    salt: Uint8Array,
    iterations: number,
    length: number,
  ): Uint8Array;

  /** Whether `key` is a valid secp256k1 private key (1 ≤ k < n). */
  isValidPrivateKey(key: Uint8Array): boolean;
  /** Whether `key` is a 65-byte uncompressed point on secp256k1. */
  isValidPublicKey(key: Uint8Array): boolean;
  /** The 65-byte uncompressed public key. Throws if the private key is invalid. */
  publicKeyCreate(privateKey: Uint8Array): Uint8Array;
  /** The x coordinate (32 bytes) of privateKey · publicKey. Throws if either is invalid. */
  ecdhX(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
  /** A deterministic (RFC 6979), low-S signature of a 32-byte hash: r ‖ s ‖ v, v ∈ {0, 1}. */
  signRecoverable(hash: Uint8Array, privateKey: Uint8Array): Uint8Array;
  /**
   * The 65-byte public key that made `signature` (r ‖ s ‖ v, v ∈ 0..3) over `hash`, or null
   * when none did (r or s out of range, v ≥ 4, no such point). High-S is accepted, as
   * libsecp256k1's recovery accepts it.
   */
  recoverPublicKey(hash: Uint8Array, signature: Uint8Array): Uint8Array | null;
}

/**
 * Fills a new array with cryptographically secure random bytes (WebCrypto, present in
 * browsers and in Node ≥ 20).
 *
 * @throws RangeError if `length` is not a non-negative integer
 */
export function randomBytes(length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0)
    throw new RangeError('length must be a non-negative integer');
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 65536)
    globalThis.crypto.getRandomValues(out.subarray(i, i + 65536));
  return out;
}
